/**
 * The outbox drain: forwards pending rows to the broker, byte-identical on every attempt (the broker
 * deduplicates on `client_message_id` + fingerprint), with backoff. A row is `done` only after the broker's
 * ack (protocol.md §9 item 60); permanent ack errors make it `dead` at once with the reason; transient
 * failures retry until the budget or the maximum age runs out.
 */
import type { Logger } from "pino";
import { MeshClientError } from "../../client/index.js";
import {
  BROKER_BUSY_SEND_ERRORS,
  PERMANENT_SEND_ERRORS,
  sendErrorCode,
  type AckFrame,
} from "../../protocol/index.js";
import type { BrokerLink } from "../links.js";
import type { OutboxRow, OutboxStore } from "./store.js";

/**
 * Transmissions before a row that keeps failing is given up. A busy broker (rate limited, or its store
 * unavailable) does not count: the send is fine, and it waits within the maximum age.
 */
export const MAX_ATTEMPTS = 20;
/** A row not delivered within this is given up (below the broker's 8-day idempotency window). */
export const OUTBOX_MAX_AGE_MS = 7 * 24 * 3_600_000;
/** How long to wait for the broker's ack of one send. */
const ACK_TIMEOUT_MS = 15_000;
/** Rows handed to links per pass, and in flight at once. */
const BATCH = 64;
const MAX_INFLIGHT = 256;
/** How soon to look again at a row whose connection is not there. */
const WAIT_FOR_LINK_MS = 30_000;
/** After the store failed to say when the next row is due, when to look again. */
const RETRY_LOOKUP_MS = 1_000;

/** Where a row goes out: a connected link, a reason to wait, or a reason it can never go. */
export type LinkChoice = { link: BrokerLink } | { wait: string } | { dead: string };

export interface DrainDeps {
  store: OutboxStore;
  logger: Logger;
  linkFor: (row: OutboxRow) => LinkChoice;
  /** Called when a row reaches `done` or `dead`. */
  onSettled: (row: OutboxRow) => void;
  now?: () => number;
}

function retryDelayMs(attempts: number): number {
  const base = Math.min(1_000 * 2 ** Math.max(0, attempts - 1), 60_000);
  return Math.round(base * (1 + Math.random() * 0.2));
}

export class DrainWorker {
  readonly #deps: DrainDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #inflight = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #scheduled = false;
  #running = false;
  #stopped = false;

  constructor(deps: DrainDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: "outbox" });
    this.#now = deps.now ?? Date.now;
  }

  /** Resets rows a crash left `inflight` and starts draining. */
  start(): void {
    const reset = this.#deps.store.resetInflight(this.#now());
    if (reset > 0) this.#log.info({ rows: reset }, "requeued rows left in flight by the last run");
    this.kick();
  }

  /** Runs a pass soon (coalesced). Call after a new row, a requeue, or a connection coming up. */
  kick(): void {
    if (this.#stopped || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pass();
    });
  }

  /** Makes every pending row of a mesh due now (its connection just came up). */
  wake(meshId: string): void {
    this.#deps.store.wakeMesh(meshId, this.#now());
    this.kick();
  }

  /** Stops sending; rows in flight stay `inflight` in the store and are reset on the next start. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #pass(): void {
    if (this.#stopped || this.#running) return;
    this.#running = true;
    try {
      let rows = this.#deps.store.due(this.#now(), BATCH);
      while (rows.length > 0 && this.#inflight.size < MAX_INFLIGHT) {
        for (const row of rows) this.#dispatch(row);
        if (rows.length < BATCH) break;
        rows = this.#deps.store.due(this.#now(), BATCH);
      }
    } catch (error) {
      this.#log.error({ err: errorText(error) }, "drain pass failed");
    } finally {
      this.#running = false;
      this.#scheduleNext();
    }
  }

  #scheduleNext(): void {
    // With every slot in flight, the next ack or failure kicks a pass (see #release).
    if (this.#stopped || this.#inflight.size >= MAX_INFLIGHT) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    let next: number | null;
    try {
      next = this.#deps.store.nextDueAt();
    } catch (error) {
      // The store failing (a full disk, a lock held too long): look again in a while rather than never.
      this.#log.error({ err: errorText(error) }, "outbox schedule lookup failed");
      next = this.#now() + RETRY_LOOKUP_MS;
    }
    if (next === null) return;
    const delay = Math.max(0, Math.min(next - this.#now(), 60_000));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.kick();
    }, delay);
    this.#timer.unref();
  }

  #dispatch(row: OutboxRow): void {
    const now = this.#now();
    if (now - row.created_at > OUTBOX_MAX_AGE_MS) {
      this.#settle(row.id, {
        status: "dead",
        last_error: `expired: not delivered within 7 days (${row.last_error ?? "no error"})`,
      });
      return;
    }
    const choice = this.#deps.linkFor(row);
    if ("dead" in choice) {
      this.#settle(row.id, { status: "dead", last_error: choice.dead });
      return;
    }
    if ("wait" in choice) {
      this.#deps.store.update(
        row.id,
        { next_attempt_at: now + WAIT_FOR_LINK_MS, last_error: choice.wait },
        now,
      );
      return;
    }
    const attempts = row.attempts + 1;
    this.#deps.store.update(row.id, { status: "inflight", attempts }, now);
    this.#inflight.add(row.id);
    let sent: Promise<AckFrame>;
    try {
      sent = choice.link.send(
        {
          targetSpec: row.target_spec,
          priority: row.priority,
          nonce: row.nonce,
          ciphertext: row.ciphertext,
          clientMessageId: row.id,
          requestFingerprint: row.fingerprint,
          ...(row.reply_to === null ? {} : { replyToId: row.reply_to }),
          ...(row.body_version === null ? {} : { bodyVersion: row.body_version }),
        },
        { timeoutMs: ACK_TIMEOUT_MS },
      );
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent
      .then(
        (ack) => this.#onAck(row, attempts, ack),
        (error: unknown) => this.#onFailure(row, attempts, error),
      )
      .catch((error: unknown) => {
        // Recording the outcome failed (the store closed at shutdown, or the disk): the row stays
        // inflight and is reset to pending on the next start; the broker dedupes the resend.
        this.#release(row.id);
        this.#log.error({ message_id: row.id, err: errorText(error) }, "could not record a send outcome");
      });
  }

  #onAck(row: OutboxRow, attempts: number, ack: AckFrame): void {
    this.#release(row.id);
    if (ack.queued) {
      this.#settle(row.id, {
        status: "done",
        broker_message_id: ack.messageId,
        recipient_online:
          ack.recipientOnline === undefined ? row.recipient_online : ack.recipientOnline ? 1 : 0,
        last_error: null,
      });
      return;
    }
    const error = ack.error ?? "internal: the broker refused the send without a reason";
    const code = sendErrorCode(error);
    if (PERMANENT_SEND_ERRORS.has(code)) {
      this.#settle(row.id, { status: "dead", last_error: error });
      return;
    }
    this.#retry(row, attempts, error, BROKER_BUSY_SEND_ERRORS.has(code) ? code : null);
  }

  #onFailure(row: OutboxRow, attempts: number, error: unknown): void {
    this.#release(row.id);
    if (error instanceof MeshClientError && error.code === "frame_too_large") {
      this.#settle(row.id, { status: "dead", last_error: `too_large: ${error.message}` });
      return;
    }
    const code = error instanceof MeshClientError ? error.code : "internal";
    this.#retry(row, attempts, `${code}: ${errorText(error)}`, null);
  }

  #release(id: string): void {
    const wasFull = this.#inflight.size >= MAX_INFLIGHT;
    this.#inflight.delete(id);
    if (wasFull) this.kick();
  }

  /** `busy`: the broker's busy code (rate_limit, store_unavailable), which spends no attempt. */
  #retry(row: OutboxRow, attempts: number, error: string, busy: string | null): void {
    if (this.#stopped) return;
    if (busy === null && attempts >= MAX_ATTEMPTS) {
      this.#settle(row.id, { status: "dead", last_error: `gave up after ${attempts} attempts: ${error}` });
      return;
    }
    const now = this.#now();
    const delay = busy === "rate_limit" ? 1_000 + Math.round(Math.random() * 1_000) : retryDelayMs(attempts);
    this.#deps.store.update(
      row.id,
      { status: "pending", next_attempt_at: now + delay, last_error: error },
      now,
    );
    this.#log.info({ message_id: row.id, attempts, retry_in_ms: delay, error }, "send will be retried");
    this.#scheduleNext();
  }

  #settle(id: string, change: Parameters<OutboxStore["update"]>[1]): void {
    const row = this.#deps.store.update(id, change, this.#now());
    if (row === null) return;
    if (row.status === "dead") this.#log.warn({ message_id: id, error: row.last_error }, "send is dead");
    else this.#log.info({ message_id: id, broker_message_id: row.broker_message_id }, "send acked");
    this.#deps.onSettled(row);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
