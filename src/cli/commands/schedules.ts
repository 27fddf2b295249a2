/** Scheduled messages: `schedule`, `schedule list|cancel` (implementations in handlers/schedules.ts). */
import { defineVerb } from "../command.js";
import { SCHEDULE_FLAGS } from "../flags/schedules.js";

const schedule = defineVerb({
  path: ["schedule"],
  section: "Shared mesh features",
  summary: "Send a message later, or on a cron schedule (UTC), as you, even when you are offline then",
  description:
    "Give exactly one of --in, --at and --cron. The message is end-to-end encrypted now, with your member\n" +
    "key, and the broker sends it at its time (once per due time, across broker restarts), to <to> as\n" +
    "`send` names it: a display name, a key prefix, a full key, @group, * or #topic.\n" +
    "See your entries with `claudemesh schedule list`; stop one with `claudemesh schedule cancel <id>`.",
  args: [
    { name: "to", description: "display name, key prefix (4+ hex), full key, @group, * or #topic" },
    { name: "message", description: "the text, or - to read it from stdin" },
  ],
  flags: SCHEDULE_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    'claudemesh schedule alice "stand-up starts now" --in 10m',
    'claudemesh schedule @backend "deploy freeze begins" --at "tomorrow 09:00"',
    'claudemesh schedule "*" "weekly sync in 5 minutes" --cron "55 13 * * 1"',
    "claudemesh schedule bob - --at 2030-01-31T09:00:00Z < reminder.txt",
  ],
  handler: async (ctx) => (await import("../handlers/schedules.js")).scheduleCreate(ctx),
});

const list = defineVerb({
  path: ["schedule", "list"],
  section: "Shared mesh features",
  summary: "Your scheduled messages, soonest first",
  mesh: true,
  coldPath: true,
  examples: ["claudemesh schedule list", "claudemesh schedule list --json"],
  handler: async (ctx) => (await import("../handlers/schedules.js")).scheduleList(ctx),
});

const cancel = defineVerb({
  path: ["schedule", "cancel"],
  section: "Shared mesh features",
  summary: "Cancel one of your scheduled messages (exit 1 when you have none by that id)",
  args: [{ name: "id", description: "the id `schedule` or `schedule list` printed" }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh schedule cancel 3f2a…"],
  handler: async (ctx) => (await import("../handlers/schedules.js")).scheduleCancel(ctx),
});

export const SCHEDULE_VERBS = [schedule, list, cancel];
