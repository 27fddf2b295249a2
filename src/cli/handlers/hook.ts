/**
 * `claudemesh hook <prompt|idle|wait|working>` (cli.md "Delivery lanes"). They follow Claude Code's rules,
 * not the CLI's: on any error, malformed input or when nothing runs they print nothing and exit 0 (exit 2
 * would block a prompt or stop a Stop), and they end within Claude Code's hook timeout — except `wait`,
 * whose exit 2 delivers a message. Each loads only what it needs: a hook starts a fresh process every turn.
 *
 * Nothing here may lose a message or a status on a slow machine:
 * - a status is handed to the daemon, which keeps it and applies it to the broker (now or after a
 *   reconnect); the budget never cuts that short;
 * - a message is marked surfaced only after its text has been written; a hook out of time prints nothing
 *   and marks nothing, so the next lane shows the message.
 */
import { performance } from "node:perf_hooks";
import { QUICK_HOOK_TIMEOUT_S } from "../../claude-code/files.js";
import { listsAMesh } from "../../host/config-peek.js";
import type { Context } from "../command.js";
import { readHookInput, type HookInput } from "../../claude-code/hooks/input.js";
import { recordHookRun, type HookOutcome } from "../../claude-code/hooks/run-log.js";
import { confirmShown, unread, withoutSeen } from "../../claude-code/hooks/surface.js";
import { hookTarget, type HookTarget } from "../../claude-code/hooks/target.js";
import { msFromEnv } from "../../host/env.js";

/** Claude Code kills a quick hook past the timeout `install` gives it, so every request ends before. */
const HOOK_TIMEOUT_MS = QUICK_HOOK_TIMEOUT_S * 1_000;
/** By when a quick hook must have its output ready (from process start); later it prints nothing. */
const DEFAULT_BUDGET_MS = 4_000;
const STDIN_MS = 1_000;
/** How long a reservation outlives the budget: time to print and mark. */
const RESERVE_MARGIN_MS = 700;
/** `wait` has no deadline; its requests get the usual patience. */
const WAIT_REQUEST_MS = 5_000;

/** When Claude Code started this hook: the time of the event it reports (epoch ms). */
const startedAt = Math.round(Date.now() - performance.now());

/** The output budget: `CLAUDEMESH_HOOK_BUDGET_MS` (never above the default), else the default. */
function budgetMs(env: NodeJS.ProcessEnv): number {
  const value = msFromEnv(env, "CLAUDEMESH_HOOK_BUDGET_MS");
  return value !== undefined && value > 0 ? Math.min(value, DEFAULT_BUDGET_MS) : DEFAULT_BUDGET_MS;
}

/** What is left of Claude Code's timeout, less a margin for exiting. */
function beforeKill(): number {
  return Math.max(100, HOOK_TIMEOUT_MS - 300 - performance.now());
}

/** Resolves with `fallback` once `budget` ms have passed since process start, whatever `work` is doing. */
function withinBudget<T>(work: Promise<T>, fallback: T, budget: number): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), Math.max(0, budget - performance.now()));
    timer.unref();
    work.then(resolve, () => resolve(fallback)).finally(() => clearTimeout(timer));
  });
}

/** The hook's input and session; `timeoutMs` bounds each daemon request. */
async function input(
  ctx: Context,
  timeoutMs: number,
): Promise<{ input: HookInput; target: HookTarget } | null> {
  const parsed = await readHookInput(ctx.stdin, Math.min(STDIN_MS, timeoutMs));
  if (parsed === null) return null;
  return { input: parsed, target: hookTarget(parsed, ctx.env, timeoutMs) };
}

function record(hook: string, outcome: HookOutcome): void {
  recordHookRun({ hook, ms: Math.round(performance.now()), outcome, at: new Date().toISOString() });
}

/**
 * `hook idle` / `hook working`: hands the status to the daemon (stamped with the event's time, so a late
 * report never undoes a newer one). At the end of a turn (`idle`) it also confirms the channel messages the
 * model saw during the turn (from the transcript), so no waiter repeats them.
 */
export async function hookStatus(ctx: Context, status: "idle" | "working"): Promise<number> {
  try {
    const hook = await input(ctx, beforeKill());
    if (hook === null) return 0;
    const { client } = hook.target;
    const transcript = status === "idle" ? hook.input.transcript_path : undefined;
    const confirmSeen = async (): Promise<void> => {
      if (transcript) await withoutSeen(client, transcript, (await unread(hook.target)).messages);
    };
    await Promise.all([client.call("setStatus", { status, source: "hook", at: startedAt }), confirmSeen()]);
    record(status, "ok");
  } catch {
    // Silent by the hook rules; recorded for `doctor`.
    record(status, "no_daemon");
  }
  return 0;
}

export async function hookPrompt(ctx: Context): Promise<number> {
  const { promptHook, NOTHING } = await import("../../claude-code/hooks/prompt.js");
  const budget = budgetMs(ctx.env);
  const found: { target?: HookTarget; failed?: boolean } = {};
  const work = async (): Promise<Awaited<ReturnType<typeof promptHook>> | null> => {
    const hook = await input(ctx, beforeKill());
    if (hook === null) return NOTHING;
    found.target = hook.target;
    // Held past the budget only as long as printing and marking take; then the next lane may show them.
    const reserveMs = Math.max(0, budget - performance.now()) + RESERVE_MARGIN_MS;
    return promptHook(hook.target, hook.input, { at: startedAt, reserveMs });
  };
  const failed = (): null => {
    found.failed = true;
    return null;
  };
  const result = await withinBudget(work().catch(failed), null, budget);
  if (result === null) {
    // Out of time (or no daemon): nothing printed, nothing marked; a reservation lapses on its own.
    record("prompt", found.failed === true ? "no_daemon" : "out_of_time");
    return 0;
  }
  if (result.text !== "" && found.target !== undefined) {
    const { client } = found.target;
    try {
      await ctx.out.handOn("stdout", `${result.text}\n`);
      await confirmShown(client, result.ids, "prompt");
    } catch {
      // Not written (Claude Code went away) or not marked: the message stays for the next lane.
    }
  }
  record("prompt", "ok");
  return 0;
}

/**
 * Claude Code's entry point for `claude -p` (print mode). Such a session ends after its one turn, but only
 * once its background hooks have exited: a waiter there would keep `claude -p` running until a message
 * came, and a wake-up would have no turn to wake.
 */
const PRINT_MODE_ENTRYPOINT = "sdk-cli";

export async function hookWait(ctx: Context): Promise<number> {
  if (ctx.env.CLAUDE_CODE_ENTRYPOINT === PRINT_MODE_ENTRYPOINT) return 0;
  try {
    // No mesh joined (or no readable config): no message can come. With one, a daemon that is down is
    // waited for.
    if (listsAMesh() !== true) return 0;
    const hook = await input(ctx, WAIT_REQUEST_MS);
    if (hook === null) return 0;
    const { waitHook } = await import("../../claude-code/hooks/wait.js");
    return await waitHook({
      target: hook.target,
      transcriptPath: hook.input.transcript_path,
      startedAt,
      // `CLAUDEMESH_HOOK_SETTLE_MS`: how long a message waits for the channel lane first.
      settleMs: msFromEnv(ctx.env, "CLAUDEMESH_HOOK_SETTLE_MS"),
      signal: ctx.signal,
      write: (text) => ctx.out.handOn("stderr", `${text}\n`),
    });
  } catch {
    // A hook never fails loudly: an exit other than 0 or 2 would show up as a hook error in Claude Code.
    return 0;
  }
}
