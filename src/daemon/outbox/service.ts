/**
 * The outbox as the API uses it: accept a send (idempotent on its client message id), wait a bounded time
 * for the broker's ack, list and requeue rows. The drain worker does the sending.
 */
import type { Logger } from "pino";
import type { OutboxItem, SendResponse } from "../../daemon-api/contract.js";
import { sendErrorCode } from "../../protocol/index.js";
import { LocalError } from "../ipc/errors.js";
import type { MeshRuntime } from "../meshes/mesh-runtime.js";
import { DrainWorker, type LinkChoice } from "./drain.js";
import { buildOutboxRow, contentHash, resolveSendTarget, type Sender, type SendIntent } from "./prepare.js";
import type { OutboxRow, OutboxStore } from "./store.js";

/** Finished rows are kept this long for `daemon outbox` and `message status`. */
export const OUTBOX_RETENTION_MS = 30 * 24 * 3_600_000;

export class OutboxService {
  readonly store: OutboxStore;
  readonly drain: DrainWorker;
  readonly #waiters = new Map<string, Set<(row: OutboxRow) => void>>();

  constructor(store: OutboxStore, logger: Logger, linkFor: (row: OutboxRow) => LinkChoice) {
    this.store = store;
    this.drain = new DrainWorker({
      store: this.store,
      logger,
      linkFor,
      onSettled: (row) => this.#settled(row),
    });
  }

  start(): void {
    this.store.prune(Date.now() - OUTBOX_RETENTION_MS);
    this.drain.start();
  }

  /**
   * Accepts a send: a known id with the same content answers the original row; with other content it is
   * 409 `idempotency_key_reused`. Otherwise resolves and encrypts, commits the row, and wakes the drain.
   */
  async accept(mesh: MeshRuntime, intent: SendIntent, sender: Sender | null): Promise<OutboxRow> {
    const hash = contentHash(mesh.meshId, intent, sender);
    const known = this.store.get(intent.clientMessageId);
    if (known !== null) return sameRequestOrFail(known, hash);
    const target = await resolveSendTarget(mesh, intent.to);
    const inserted = this.store.insert(buildOutboxRow(mesh, intent, target, sender));
    // Lost a race with a concurrent request for the same id: judge it like any retry.
    if (!inserted.inserted) return sameRequestOrFail(inserted.row, hash);
    this.drain.kick();
    return inserted.row;
  }

  /** The row once it is `done` or `dead`, or as it is after `ms`. */
  waitForOutcome(id: string, ms: number): Promise<OutboxRow | null> {
    const current = this.store.get(id);
    if (current === null || current.status === "done" || current.status === "dead" || ms <= 0) {
      return Promise.resolve(current);
    }
    return new Promise((resolve) => {
      let set = this.#waiters.get(id);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(id, set);
      }
      const waiters = set;
      const done = (row: OutboxRow): void => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.#waiters.delete(id);
        resolve(row);
      };
      const timer = setTimeout(() => done(this.store.get(id) ?? current), ms);
      timer.unref();
      waiters.add(done);
    });
  }

  /** Puts a pending or dead row back in the queue (same bytes, same connection). */
  requeue(id: string): OutboxRow {
    const row = this.store.requeue(id);
    if (row === null)
      throw new LocalError("not_found", `no outbox row "${id}"`, "`claudemesh daemon outbox` lists them");
    if (row.status === "done") {
      throw new LocalError("already_done", `"${id}" was already delivered to the broker`, "nothing to retry");
    }
    if (row.status === "inflight") {
      throw new LocalError("in_flight", `"${id}" is being sent right now`, "check again in a few seconds");
    }
    this.drain.kick();
    return row;
  }

  close(): void {
    this.drain.stop();
    this.store.close();
  }

  #settled(row: OutboxRow): void {
    for (const waiter of [...(this.#waiters.get(row.id) ?? [])]) waiter(row);
  }
}

function sameRequestOrFail(row: OutboxRow, hash: string): OutboxRow {
  if (row.content_hash === hash) return row;
  throw new LocalError(
    "idempotency_key_reused",
    `client_message_id "${row.id}" was already used for a different message`,
    "use a new client_message_id for a new message",
  );
}

/** The `send` answer for a row: `sent` once the broker acked, else `queued`. */
export function sendResponse(row: OutboxRow): SendResponse {
  return {
    message_id: row.id,
    broker_message_id: row.status === "done" ? row.broker_message_id : null,
    status: row.status === "done" ? "sent" : "queued",
    recipient_online: row.recipient_online === 1,
    ...(row.status !== "done" && row.last_error !== null ? { last_error: row.last_error } : {}),
    target: { spec: row.target_spec, kind: row.target_kind, display: row.target_display },
  };
}

/** The error a dead row answers with: the broker's code (`no_recipient`, `too_large`, …) and its text. */
export function deadRowFailure(row: OutboxRow): LocalError {
  const reason = row.last_error ?? "internal: the send failed";
  return new LocalError(
    sendErrorCode(reason),
    `the broker refused the message: ${reason}`,
    "`claudemesh daemon outbox --dead` lists failed sends; `daemon outbox requeue <id>` retries one",
    undefined,
    { message_id: row.id },
  );
}

export function outboxItem(row: OutboxRow, slug: string): OutboxItem {
  return {
    id: row.id,
    mesh: slug,
    to: row.to_input,
    target_spec: row.target_spec,
    status: row.status,
    attempts: row.attempts,
    last_error: row.last_error,
    broker_message_id: row.broker_message_id,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
