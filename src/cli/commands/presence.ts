/** Presence: `status`, `summary`, `group join|leave|list` (implementations in handlers/presence.ts). */
import { defineVerb } from "../command.js";
import { GROUP_JOIN_FLAGS } from "../flags/presence.js";

const status = defineVerb({
  path: ["status"],
  section: "Talking",
  summary: "Set your presence status: idle, working or dnd",
  description: "dnd holds `next` and `low` messages until you set idle or working again.",
  args: [{ name: "status", description: "idle, working or dnd" }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh status dnd", "claudemesh status idle"],
  handler: async (ctx) => (await import("../handlers/presence.js")).status(ctx),
});

const summary = defineVerb({
  path: ["summary"],
  section: "Talking",
  summary: "Set the one-line summary peers see next to your name",
  args: [{ name: "text", description: "what you are doing (up to 1,024 characters)", variadic: true }],
  mesh: true,
  coldPath: true,
  examples: ['claudemesh summary "refactoring the auth module"'],
  handler: async (ctx) => (await import("../handlers/presence.js")).summary(ctx),
});

const groupJoin = defineVerb({
  path: ["group", "join"],
  section: "Talking",
  summary: "Join a group (hierarchical names a/b/c; @a reaches a/b/c)",
  args: [{ name: "name", description: "the group, e.g. backend or team/api" }],
  flags: GROUP_JOIN_FLAGS,
  mesh: true,
  examples: ["claudemesh group join backend", "claudemesh group join team/api --role lead"],
  handler: async (ctx) => (await import("../handlers/presence.js")).groupJoin(ctx),
});

const groupLeave = defineVerb({
  path: ["group", "leave"],
  section: "Talking",
  summary: "Leave a group",
  args: [{ name: "name", description: "the group" }],
  mesh: true,
  examples: ["claudemesh group leave backend"],
  handler: async (ctx) => (await import("../handlers/presence.js")).groupLeave(ctx),
});

const groupList = defineVerb({
  path: ["group", "list"],
  section: "Talking",
  summary: "Groups of your own presences, and who is in which group",
  mesh: true,
  examples: ["claudemesh group list", "claudemesh group list --json"],
  handler: async (ctx) => (await import("../handlers/presence.js")).groupList(ctx),
});

export const PRESENCE_VERBS = [status, summary, groupJoin, groupLeave, groupList];
