/** Flags of the `schedule` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const SCHEDULE_FLAGS = defineFlags({
  in: { type: "string", valueName: "duration", description: "fire after this long: 30s, 10m, 2h, 1d" },
  at: {
    type: "string",
    valueName: "time",
    description: 'fire at an ISO 8601 time, or HH:MM / "tomorrow HH:MM" (local time)',
  },
  cron: {
    type: "string",
    valueName: "5 fields",
    description: 'fire on every time of a cron rule, in UTC: "minute hour day-of-month month day-of-week"',
  },
  priority: {
    type: "string",
    valueName: "now|next|low",
    choices: ["now", "next", "low"],
    description: "now interrupts a working peer (default); next and low wait until it is idle",
  },
});
