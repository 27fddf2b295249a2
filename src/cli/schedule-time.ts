/**
 * When `claudemesh schedule` fires: `--in` a duration (30s, 10m, 2h, 1d, or combined: 1h30m) from now, or
 * `--at` an ISO 8601 time or a wall-clock time today or tomorrow (`14:30`, `tomorrow 09:00`, local time).
 * A time that has passed is refused, never moved silently.
 */
import { usageError } from "./errors.js";

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+[smhd])+$/;
const CLOCK = /^(?:(today|tomorrow)\s+)?(\d{1,2}):(\d{2})$/;

/** Milliseconds of a duration like `90s`, `10m`, `2h`, `1d` or `1h30m`. */
export function parseDuration(text: string): number {
  const value = text.trim().toLowerCase();
  if (!DURATION.test(value)) {
    throw usageError(
      `--in "${text}" is not a duration`,
      "use a number and a unit: 30s, 10m, 2h, 1d (or 1h30m)",
    );
  }
  let ms = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  if (ms <= 0) throw usageError(`--in "${text}" is zero`, "give a time after now, e.g. --in 10m");
  return ms;
}

/** The instant `--at` names (ms), refused when it is not in the future. */
export function parseAt(text: string, now: number): number {
  const value = text.trim().toLowerCase();
  const clock = CLOCK.exec(value);
  let at: number;
  if (clock) {
    const [, day, hh, mm] = clock;
    const hours = Number(hh);
    const minutes = Number(mm);
    if (hours > 23 || minutes > 59) {
      throw usageError(
        `--at "${text}" is not a time of day`,
        "use HH:MM on a 24-hour clock, e.g. --at 14:30",
      );
    }
    const date = new Date(now);
    date.setHours(hours, minutes, 0, 0);
    if (day === "tomorrow") date.setDate(date.getDate() + 1);
    at = date.getTime();
    if (at <= now) {
      throw usageError(
        `--at "${text}" has already passed today (${new Date(now).toTimeString().slice(0, 5)} now)`,
        `use --at "tomorrow ${hh!.padStart(2, "0")}:${mm}" for tomorrow, or --in for a duration`,
      );
    }
    return at;
  }
  at = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(at)) {
    throw usageError(
      `--at "${text}" is not a time`,
      'use an ISO 8601 time (2030-01-31T09:00:00Z), HH:MM, or "tomorrow HH:MM"',
    );
  }
  if (at <= now) {
    throw usageError(
      `--at "${text}" is in the past (now is ${new Date(now).toISOString()})`,
      "give a time after now, or use --in for a duration",
    );
  }
  return at;
}
