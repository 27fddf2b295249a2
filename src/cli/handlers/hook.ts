/**
 * `claudemesh hook <prompt|idle|wait|working>` (see cli.md "Delivery lanes"). They follow Claude Code's
 * rules, not the CLI's: on any error, malformed input or when nothing runs they print nothing and exit 0
 * (exit 2 would block a prompt or stop a Stop), and they finish within a second — except `wait`, whose
 * exit 2 delivers a message. Each loads only what it needs: a hook starts a fresh process every turn.
 */
import { performance } from "node:perf_hooks";
import type { Context } from "../command.js";
import { readHookInput, type HookInput } from "../hooks/input.js";
import { unread, withoutSeen } from "../hooks/surface.js";
import { hookTarget, type HookTarget } from "../hooks/target.js";

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

/**
 * `hook idle` / `hook working`: reports the status. At the end of a turn (`idle`) it also confirms the
 * channel messages the model saw during the turn (from the transcript), so no waiter repeats them.
 */
export async function hookStatus(ctx: Context, status: "idle" | "working"): Promise<number> {
  const work = async (): Promise<void> => {
    const hook = await input(ctx);
    if (hook === null) return;
    const { client } = hook.target;
    const transcript = status === "idle" ? hook.input.transcript_path : undefined;
    const confirmSeen = async (): Promise<void> => {
      if (transcript) await withoutSeen(client, transcript, (await unread(hook.target)).messages);
    };
    await Promise.all([client.setStatus({ status, source: "hook" }), confirmSeen()]);
  };
  await withinBudget(work(), undefined);
  return 0;
}

export async function hookPrompt(ctx: Context): Promise<number> {
  const work = async (): Promise<string> => {
    const hook = await input(ctx);
    if (hook === null) return "";
    const { promptHook } = await import("../hooks/prompt.js");
    return promptHook(hook.target, hook.input);
  };
  const text = await withinBudget(work(), "");
  if (text !== "") ctx.out.line(text);
  return 0;
}

export async function hookWait(ctx: Context): Promise<number> {
  try {
    const hook = await input(ctx, WAIT_REQUEST_MS);
    if (hook === null) return 0;
    const { waitHook } = await import("../hooks/wait.js");
    return await waitHook({
      target: hook.target,
      transcriptPath: hook.input.transcript_path,
      signal: ctx.signal,
      write: (text) => ctx.out.note(text),
    });
  } catch {
    // A hook never fails loudly: an exit other than 0 or 2 would show up as a hook error in Claude Code.
    return 0;
  }
}
