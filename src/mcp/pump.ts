/**
 * Follows the daemon's event stream (scoped to this session, or to the member in ambient mode) and turns
 * each inbound message into a channel notification, a short "N new messages" notice, or nothing — per the
 * message mode. Reconnects with Last-Event-ID, so a daemon restart loses nothing; a daemon that died (not
 * one asked to stop) is started again, so the session's messages keep coming.
 */
import type { Logger } from "pino";
import type { MessageEvent, SessionInfo } from "../daemon-api/contract.js";
import type { MessageMode } from "../protocol/index.js";
import { DaemonApiError, type DaemonClient } from "../daemon-api/client.js";
import { followEvents } from "../daemon-api/events.js";
import { inboxNotice, messageNotification, type ChannelParams } from "./channel.js";
import type { DaemonAccess } from "./daemon-access.js";
import { setTimeout as delay } from "node:timers/promises";

export interface PumpOptions {
  access: DaemonAccess;
  /** `--message-mode`; when absent, the launched session's mode, else `push`. */
  mode: MessageMode | undefined;
  notify: (params: ChannelParams) => Promise<void>;
  /**
   * Mark a pushed message surfaced at once. True when the prompt hook is not installed: nothing else could
   * confirm that the push reached the model, so sending it counts as showing it.
   */
  markOnPush: boolean;
  log: Logger;
  signal: AbortSignal;
  /**
   * How long `inbox` mode gathers arrivals before one notice.
   * @default 300
   */
  noticeDelayMs?: number;
}

/** The most unread messages of a launched session pushed when the server starts. */
const BACKLOG_LIMIT = 20;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** Ids remembered to never push one message twice (the stream may replay after a reconnect). */
const SEEN_LIMIT = 5_000;

function isMessageEvent(data: unknown): data is MessageEvent {
  return typeof data === "object" && data !== null && "message" in data && typeof data.message === "object";
}

/** Waits `ms`, or less when `signal` aborts (its listener goes with the timer: retries never pile up). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal, ref: false }).catch(() => undefined);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class Delivery {
  readonly #seen = new Set<string>();
  #noticeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: PumpOptions,
    private readonly client: DaemonClient,
    private readonly mode: MessageMode,
  ) {}

  async deliver(message: MessageEvent["message"]): Promise<void> {
    if (message.surfaced || this.#seen.has(message.id)) return;
    this.#seen.add(message.id);
    if (this.#seen.size > SEEN_LIMIT) this.#seen.delete(this.#seen.values().next().value ?? "");
    if (this.mode === "inbox") {
      this.#scheduleNotice();
      return;
    }
    await this.options.notify(messageNotification(message));
    this.options.log.info({ message_id: message.id, mesh: message.mesh }, "pushed to the channel");
    if (this.options.markOnPush) await this.client.call("markSurfaced", { ids: [message.id], lane: "push" });
  }

  #scheduleNotice(): void {
    if (this.#noticeTimer !== null) return;
    this.#noticeTimer = setTimeout(() => {
      this.#noticeTimer = null;
      this.#notice().catch((err: unknown) =>
        this.options.log.warn({ err: errorText(err) }, "inbox notice failed"),
      );
    }, this.options.noticeDelayMs ?? 300);
    this.#noticeTimer.unref();
  }

  async #notice(): Promise<void> {
    const { messages } = await this.client.call("inbox", { unread: true, limit: 200, scope: "lane" });
    if (messages.length === 0) return;
    const meshes = [...new Set(messages.map((m) => m.mesh))];
    await this.options.notify(inboxNotice(messages.length, meshes));
  }

  stop(): void {
    if (this.#noticeTimer !== null) clearTimeout(this.#noticeTimer);
  }
}

/**
 * Unread messages that reached a launched session before this server was listening (including ones
 * addressed to it before it was resumed).
 */
async function backlog(client: DaemonClient): Promise<MessageEvent["message"][]> {
  const { messages } = await client.call("inbox", { unread: true, scope: "lane", limit: BACKLOG_LIMIT });
  return messages;
}

/** Runs until `signal` aborts, the message mode is `off`, or the session ends. Never throws. */
export async function runPump(options: PumpOptions): Promise<void> {
  const { access, log, signal } = options;
  let retryMs = RETRY_MIN_MS;
  while (!signal.aborted) {
    let client: DaemonClient;
    let session: SessionInfo | null;
    try {
      ({ client, session } = await access.connect());
    } catch (err) {
      log.warn(
        { err: errorText(err), retry_ms: retryMs },
        "daemon not reachable; messages will be pushed once it is",
      );
      await sleep(retryMs, signal);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      continue;
    }
    retryMs = RETRY_MIN_MS;
    const mode = options.mode ?? session?.message_mode ?? "push";
    if (mode === "off") {
      log.info({}, "message mode off: nothing is pushed");
      return;
    }
    log.info(
      { mode, session: session?.session_pubkey.slice(0, 8) ?? null },
      "following the daemon's messages",
    );
    const delivery = new Delivery(options, client, mode);
    // Asked to stop (`claudemesh daemon down`): the stream waits for whoever starts it again.
    let stopping = false;
    try {
      const stream = followEvents(client, {
        signal,
        onOpen: async (resumed) => {
          stopping = false;
          if (resumed || session === null) return;
          for (const message of await backlog(client)) await delivery.deliver(message);
        },
        onLost: (err) => {
          log.warn({ err: err.message }, "daemon connection lost; reconnecting");
          if (stopping) return;
          void access.revive((failed) =>
            log.warn({ err: errorText(failed) }, "could not start the daemon again"),
          );
        },
      });
      for await (const event of stream) {
        if (event.event === "daemon_stopping") stopping = true;
        if (event.event === "session_end") {
          log.info({}, "the session ended");
          return;
        }
        if (event.event !== "message" || !isMessageEvent(event.data)) continue;
        try {
          await delivery.deliver(event.data.message);
        } catch (err) {
          log.warn({ err: errorText(err), message_id: event.data.message.id }, "push failed");
        }
      }
      return;
    } catch (err) {
      if (err instanceof DaemonApiError && err.status === 401) {
        log.info({}, "the session is no longer known to the daemon; stopping pushes");
        return;
      }
      log.warn({ err: errorText(err) }, "event stream failed; retrying");
      await sleep(retryMs, signal);
    } finally {
      delivery.stop();
    }
  }
}
