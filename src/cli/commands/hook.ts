/**
 * `claudemesh hook <prompt|idle|wait|working>`: the entry points Claude Code's hooks run (see cli.md
 * "Delivery lanes"). They follow Claude Code's rules, not the CLI's: on any error, malformed input or when
 * nothing runs they print nothing and exit 0 (exit 2 would block a prompt or stop a Stop), and they finish
 * within a second — except `wait`, whose exit 2 delivers a message.
 */
import { performance } from "node:perf_hooks";
import { defineVerb, type Context } from "../command.js";
import { readHookInput, type HookInput } from "../hooks/input.js";
import { promptHook } from "../hooks/prompt.js";
import { hookTarget, type HookTarget } from "../hooks/target.js";
import { waitHook } from "../hooks/wait.js";

/** Everything a quick hook does must be over this long after the process started. */
const BUDGET_MS = 950;
const STDIN_MS = 300;
/** `wait` has no budget; its requests get the usual patience. */
const WAIT_REQUEST_MS = 5_000;

function remaining(): number {
  return Math.max(150, BUDGET_MS - performance.now());
}

/** Resolves with `fallback` once the budget is spent, whatever `work` is doing. */
function withinBudget<T>(work: Promise<T>, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), remaining());
    timer.unref();
    work.then(resolve, () => resolve(fallback)).finally(() => clearTimeout(timer));
  });
}

/** The hook's input and session; `timeoutMs` bounds each daemon request (default: what the budget leaves). */
async function input(
  ctx: Context,
  timeoutMs?: number,
): Promise<{ input: HookInput; target: HookTarget } | null> {
  const parsed = await readHookInput(ctx.stdin, Math.min(STDIN_MS, remaining()));
  if (parsed === null) return null;
  return { input: parsed, target: hookTarget(parsed, ctx.env, timeoutMs ?? remaining()) };
}

function statusHook(status: "idle" | "working") {
  return async (ctx: Context): Promise<number> => {
    const work = async (): Promise<void> => {
      const hook = await input(ctx);
      await hook?.target.client.setStatus({ status, source: "hook" });
    };
    await withinBudget(work(), undefined);
    return 0;
  };
}

const HOOK_HELP =
  "Run by Claude Code with the hook's JSON on stdin; silent, and exit 0 whenever something is wrong.";

const prompt = defineVerb({
  path: ["hook", "prompt"],
  section: "Claude Code integration",
  summary: "UserPromptSubmit hook: report working, add unread peer messages to the prompt's context",
  description: HOOK_HELP,
  async handler(ctx) {
    const work = async (): Promise<string> => {
      const hook = await input(ctx);
      return hook ? promptHook(hook.target, hook.input) : "";
    };
    const text = await withinBudget(work(), "");
    if (text !== "") ctx.out.line(text);
    return 0;
  },
});

const idle = defineVerb({
  path: ["hook", "idle"],
  section: "Claude Code integration",
  summary: "Stop hook: report idle (releases messages held while the session worked)",
  description: HOOK_HELP,
  handler: statusHook("idle"),
});

const working = defineVerb({
  path: ["hook", "working"],
  section: "Claude Code integration",
  summary: "Report working (status only)",
  description: HOOK_HELP,
  handler: statusHook("working"),
});

const wait = defineVerb({
  path: ["hook", "wait"],
  section: "Claude Code integration",
  summary: "Stop hook (asyncRewake): wait for a message and wake the model with it (exit 2)",
  description:
    "Blocks on the daemon's event stream until a message for this session has been unsurfaced for 3 s, writes\n" +
    "it to stderr and exits 2; exits 0 when the session ends. One waiter per session: a new one replaces the old.",
  async handler(ctx) {
    try {
      const hook = await input(ctx, WAIT_REQUEST_MS);
      if (hook === null) return 0;
      return await waitHook({ target: hook.target, signal: ctx.signal, write: (text) => ctx.out.note(text) });
    } catch {
      // A hook never fails loudly: an exit other than 0 or 2 would show up as a hook error in Claude Code.
      return 0;
    }
  },
});

export const HOOK_VERBS = [prompt, idle, wait, working];
