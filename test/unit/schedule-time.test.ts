/** `claudemesh schedule --in / --at`: durations, wall-clock times today or tomorrow, ISO 8601, past times. */
import { describe, expect, it } from "vitest";
import { parseAt, parseDuration } from "../../src/cli/schedule-time.js";

/** A fixed "now": 10:00 local time on a day in the middle of a month. */
const NOW = new Date(2030, 5, 15, 10, 0, 0, 0).getTime();

describe("schedule times", () => {
  it("reads durations with units, alone or combined", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    for (const bad of ["10", "m", "ten minutes", "-5m", "0s", "1.5h"]) {
      expect(() => parseDuration(bad), bad).toThrow(/--in/);
    }
  });

  it("reads HH:MM as today (local time), and tomorrow when asked", () => {
    expect(parseAt("14:30", NOW)).toBe(new Date(2030, 5, 15, 14, 30).getTime());
    expect(parseAt("tomorrow 09:05", NOW)).toBe(new Date(2030, 5, 16, 9, 5).getTime());
    expect(parseAt("today 10:01", NOW)).toBe(new Date(2030, 5, 15, 10, 1).getTime());
  });

  it("refuses a time of day that has passed, suggesting tomorrow", () => {
    expect(() => parseAt("09:00", NOW)).toThrow(/already passed/);
    expect(() => parseAt("10:00", NOW)).toThrow(/already passed/);
    expect(() => parseAt("24:00", NOW)).toThrow(/not a time of day/);
  });

  it("reads ISO 8601 and refuses a past or unreadable time", () => {
    expect(parseAt("2030-06-15T12:00:00Z", NOW)).toBe(Date.UTC(2030, 5, 15, 12));
    expect(parseAt("2030-06-16T09:00:00+02:00", NOW)).toBe(Date.UTC(2030, 5, 16, 7));
    expect(() => parseAt("2001-01-01T00:00:00Z", NOW)).toThrow(/in the past/);
    for (const bad of ["soon", "June 16", "2030-13-45T99:00:00Z"]) {
      expect(() => parseAt(bad, NOW), bad).toThrow(/not a time/);
    }
  });
});
