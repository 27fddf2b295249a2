/** Cron expressions of scheduled messages (protocol.md §6.5): 5 fields, UTC, through `croner`. */
import { Cron } from "croner";
import { SCHEDULE_HORIZON_MS } from "../protocol/index.js";

export type CronCheck = { ok: true; next: number } | { ok: false; reason: string };

/**
 * The first time after `now` that `expression` names, within the 366-day horizon; or why it is refused
 * (not 5 fields, a bad field, or no time within the horizon).
 */
export function nextCronTime(expression: string, now: number): CronCheck {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return {
      ok: false,
      reason: `cron must have 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`,
    };
  }
  let next: Date | null;
  try {
    next = new Cron(fields.join(" "), { timezone: "UTC", paused: true }).nextRun(new Date(now));
  } catch (err) {
    return {
      ok: false,
      reason: err instanceof Error ? err.message.replace(/^CronPattern: /, "") : String(err),
    };
  }
  if (next === null || next.getTime() - now > SCHEDULE_HORIZON_MS) {
    return { ok: false, reason: "cron names no time within the next 366 days" };
  }
  return { ok: true, next: next.getTime() };
}
