/**
 * `hook wait` (SessionStart and Stop, `asyncRewake`): runs in the background from the start of a session
 * and after each turn, blocked on the daemon's event stream (no polling). A live waiter means the session
 * is between turns, so it reports `idle` when it starts (stamped with its start: a later prompt's `working`
 * wins). Once a message for this session has stayed unsurfaced for {@link SETTLE_MS} — long enough for a
 * channel push to be confirmed by `hook prompt` — it reserves it, writes it to stderr, marks it surfaced and
 * exits 2, which makes Claude Code wake the model with it — unless the transcript shows the model already
 * saw it as a channel message attached mid-turn (then it is marked surfaced for the channel lane instead).
 * Exits 0 when the session ends, when a newer waiter takes over, or when Claude Code goes away. A daemon
 * that is down (stopped, restarting, not started yet) is waited for: it is the only way an idle session
 * hears of a message once the daemon is back.
 */
import type { InboxMessage, MessageEvent } from "../../daemon-api/contract.js";
import { followEvents } from "../../daemon-api/events.js";
import { renderContext, selectForContext, type Moment } from "./context.js";
import { confirmShown, reserve, unread as unreadFor, withoutSeen } from "./surface.js";
import type { HookTarget } from "./target.js";
import { takeWaiterSlot } from "./waiter-slot.js";

/** How long a message stays unsurfaced before the waiter delivers it. */
export const SETTLE_MS = 3_000;
/** When a due message was not there to show (another lane reserved it), or the daemon failed: look again. */
const RECHECK_MS = 1_000;
/** How often a waiter looks for a daemon that is down. */
const DAEMON_RETRY_MS = 2_000;

export interface WaitOptions {
  target: HookTarget;
  /** The session's transcript (the hook input's `transcript_path`), checked before delivering. */
  transcriptPath?: string;
  /** When Claude Code started this waiter (epoch ms): the time of its `idle` report. */
  startedAt: number;
  /** Aborted on SIGTERM (a newer waiter) or Ctrl-C. */
  signal: AbortSignal;
  /** Writes the wake-up text (to stderr); resolves once it is handed on, rejects when it could not be. */
  write: (text: string) => Promise<void>;
  /** @default SETTLE_MS */
  settleMs?: number;
  /**
   * How often to check that Claude Code (the parent process) is still there.
   * @default 5000
   */
  parentCheckMs?: number;
}

function isMessageEvent(data: unknown): data is MessageEvent {
  return typeof data === "object" && data !== null && "message" in data && typeof data.message === "object";
}

/** Resolves with the exit code: 2 after delivering, 0 otherwise. Never throws. */
export async function waitHook(options: WaitOptions): Promise<0 | 2> {
  const { client } = options.target;
  const settleMs = options.settleMs ?? SETTLE_MS;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal.addEventListener("abort", onAbort);
  const slot = takeWaiterSlot(options.target.key);
  const parent = process.ppid;
  const parentCheck = setInterval(() => {
    if (process.ppid !== parent) stop.abort();
  }, options.parentCheckMs ?? 5_000);
  parentCheck.unref();

  /** Message id → when it becomes due. */
  const due = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  let firing: Promise<void> | null = null;
  let result: 0 | 2 = 0;

  const schedule = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (due.size === 0 || stop.signal.aborted || firing !== null) return;
    const next = Math.min(...due.values());
    timer = setTimeout(
      () => {
        firing = fire().finally(() => {
          firing = null;
          schedule();
        });
      },
      Math.max(0, next - Date.now()),
    );
  };

  /** Whether the session is mid-turn (a prompt's `working` is newer than this waiter's `idle`). */
  const moment = async (): Promise<Moment> => {
    const { statuses } = await client.call("status", {});
    return statuses.some((s) => s.status === "working") ? "working" : "idle";
  };

  const deliver = async (ready: InboxMessage[]): Promise<boolean> => {
    const unseen = await withoutSeen(client, options.transcriptPath, ready);
    const { shown, blocks } = selectForContext(unseen);
    const reserved = new Set((await reserve(client, shown)).map((m) => m.id));
    const kept = blocks.filter((_, i) => reserved.has(shown[i]?.id ?? ""));
    // Seen in the transcript: surfaced now. Reserved by another lane: looked at again after a while, in
    // case that lane never shows it (its reservation lapses).
    for (const message of ready) {
      if (!unseen.includes(message)) due.delete(message.id);
      else if (!reserved.has(message.id)) due.set(message.id, Date.now() + RECHECK_MS);
    }
    if (kept.length === 0) return false;
    // Only what the size limits held back: messages not due yet reach the woken turn through `hook prompt`.
    const more = unseen.length - kept.length;
    await options.write(renderContext(kept, Math.max(0, more), await moment()));
    // Shown. The turn it starts reports `working` itself (Claude Code runs UserPromptSubmit for a wake-up).
    const ids = shown.filter((m) => reserved.has(m.id)).map((m) => m.id);
    for (const id of ids) due.delete(id);
    await confirmShown(client, ids, "wait").catch(() => undefined);
    return true;
  };

  const fire = async (): Promise<void> => {
    try {
      const unread = await unreadFor(options.target);
      const now = Date.now();
      const listed = new Set(unread.messages.map((m) => m.id));
      // Not listed: surfaced or reserved by another lane. Look again a little later (a reservation may
      // lapse unshown); `forgetSurfaced` drops the ones that lane did show.
      for (const [id, at] of due) if (!listed.has(id) && at <= now) due.set(id, now + RECHECK_MS);
      await forgetSurfaced();
      const ready = unread.messages.filter((m) => (due.get(m.id) ?? Infinity) <= now);
      if (ready.length === 0) return;
      if (!slot.owned()) {
        stop.abort();
        return;
      }
      if (await deliver(ready)) {
        result = 2;
        stop.abort();
      }
    } catch {
      // The daemon hiccuped: the messages stay due, and are tried again a little later (not at once: a
      // daemon that keeps failing must not be asked in a tight loop).
      const later = Date.now() + RECHECK_MS;
      for (const [id, at] of due) due.set(id, Math.max(at, later));
    }
  };

  /** Drops the due messages that some lane has surfaced since (checked against the daemon's read view). */
  const forgetSurfaced = async (): Promise<void> => {
    if (due.size === 0) return;
    const { messages } = await client.call("inbox", { unread: true, limit: 1_000, scope: "read" });
    const unsurfaced = new Set(messages.map((m) => m.id));
    for (const id of due.keys()) if (!unsurfaced.has(id)) due.delete(id);
  };

  const track = (message: InboxMessage, dueAt: number): void => {
    if (message.surfaced || due.has(message.id)) return;
    due.set(message.id, dueAt);
    schedule();
  };

  let opened = false;
  try {
    const stream = followEvents(client, {
      signal: stop.signal,
      onOpen: async () => {
        if (!opened) {
          // Between turns by definition: lands even when the Stop hook's own report did not.
          await client
            .call("setStatus", { status: "idle", source: "hook", at: options.startedAt })
            .catch(() => undefined);
        }
        opened = true;
        // Messages that arrived before this waiter (e.g. during the turn) count from their arrival.
        const { messages } = await unreadFor(options.target);
        for (const m of messages) track(m, Date.parse(m.received_at) + settleMs);
      },
      retryMs: DAEMON_RETRY_MS,
    });
    for await (const event of stream) {
      if (event.event === "session_end" && options.target.launched) break;
      if (event.event === "message" && isMessageEvent(event.data))
        track(event.data.message, Date.now() + settleMs);
    }
  } catch {
    // A refusal (401: the session ended) or a broken stream: a hook leaves quietly.
  } finally {
    stop.abort();
    // A delivery under way finishes: a message it claimed must reach stderr before the exit.
    await firing;
    if (timer !== null) clearTimeout(timer);
    clearInterval(parentCheck);
    options.signal.removeEventListener("abort", onAbort);
    slot.release();
  }
  return result;
}
