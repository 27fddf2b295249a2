/**
 * `claudemesh hook <prompt|idle|wait|working>`: the entry points Claude Code's hooks run (see cli.md
 * "Delivery lanes"; implementations in handlers/hook.ts). They follow Claude Code's rules, not the CLI's:
 * silent, exit 0 on any error, and done within Claude Code's hook timeout — except `wait`, whose exit 2
 * delivers a message.
 */
import { defineVerb } from "../command.js";

const HOOK_HELP =
  "Run by Claude Code with the hook's JSON on stdin; silent, and exit 0 whenever something is wrong.";

const prompt = defineVerb({
  path: ["hook", "prompt"],
  section: "Claude Code integration",
  summary: "UserPromptSubmit hook: report working, add unread peer messages to the prompt's context",
  description: HOOK_HELP,
  handler: async (ctx) => (await import("../handlers/hook.js")).hookPrompt(ctx),
});

const idle = defineVerb({
  path: ["hook", "idle"],
  section: "Claude Code integration",
  summary: "Stop hook: report idle (releases messages held while the session worked)",
  description: HOOK_HELP,
  handler: async (ctx) => (await import("../handlers/hook.js")).hookStatus(ctx, "idle"),
});

const working = defineVerb({
  path: ["hook", "working"],
  section: "Claude Code integration",
  summary: "Report working (status only)",
  description: HOOK_HELP,
  handler: async (ctx) => (await import("../handlers/hook.js")).hookStatus(ctx, "working"),
});

const wait = defineVerb({
  path: ["hook", "wait"],
  section: "Claude Code integration",
  summary: "SessionStart/Stop hook (asyncRewake): wait for a message and wake the model with it (exit 2)",
  description:
    "Blocks on the daemon's event stream until a message for this session has been unsurfaced for 3 s, writes\n" +
    "it to stderr, marks it surfaced and exits 2; exits 0 when the session ends. Reports idle when it starts.\n" +
    "One waiter per session: a new one replaces the old.",
  handler: async (ctx) => (await import("../handlers/hook.js")).hookWait(ctx),
});

export const HOOK_VERBS = [prompt, idle, wait, working];
