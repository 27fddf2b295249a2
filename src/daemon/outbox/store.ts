/**
 * The durable outbox (`outbox.db`): one row per accepted send, holding the exact encrypted bytes that go
 * to the broker, so every retry is byte-identical and the broker deduplicates it (protocol.md §4.5).
 * Statuses: pending → inflight → done, or dead with the reason.
 */
import type { OutboxStatus } from "../../daemon-api/contract.js";
import type { Priority } from "../../protocol/index.js";
import type { Logger } from "pino";
import type { Migration } from "../../migrations/migration.js";
import { openDatabase, type Db } from "../db.js";

export interface OutboxRow {
  /** The client message id (idempotency key, `send.client_message_id`). */
  id: string;
  mesh_id: string;
  /** The target as the caller typed it. */
  to_input: string;
  target_spec: string;
  target_kind: "member" | "session" | "broadcast" | "group" | "topic";
  target_display: string;
  priority: Priority;
  reply_to: string | null;
  nonce: string;
  ciphertext: string;
  body_version: number | null;
  /** `requestFingerprint` of the exact bytes above. */
  fingerprint: string;
  /** Hash of the caller's request (plaintext side), to tell a retry from a reuse of the id. */
  content_hash: string;
  /** The session connection the send goes out on (its key encrypted a DM), or null for the member's. */
  sender_session_pubkey: string | null;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  broker_message_id: string | null;
  /** 1/0 from the broker's ack, or the daemon's guess at accept time while queued. */
  recipient_online: number;
  created_at: number;
  updated_at: number;
}

export type NewOutboxRow = Omit<
  OutboxRow,
  "status" | "attempts" | "next_attempt_at" | "last_error" | "broker_message_id" | "created_at" | "updated_at"
>;

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     mesh_id TEXT NOT NULL,
     to_input TEXT NOT NULL,
     target_spec TEXT NOT NULL,
     target_kind TEXT NOT NULL,
     target_display TEXT NOT NULL,
     priority TEXT NOT NULL,
     reply_to TEXT,
     nonce TEXT NOT NULL,
     ciphertext TEXT NOT NULL,
     body_version INTEGER,
     fingerprint TEXT NOT NULL,
     content_hash TEXT NOT NULL,
     sender_session_pubkey TEXT,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     last_error TEXT,
     broker_message_id TEXT,
     recipient_online INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
   CREATE INDEX outbox_broker_id ON outbox (broker_message_id);
   CREATE TABLE roster_cache (
     mesh_id TEXT PRIMARY KEY,
     members TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
  },
  {
    version: 2,
    name: "member status",
    sql: `CREATE TABLE member_status (
     mesh_id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     at INTEGER NOT NULL
   );`,
  },
  {
    version: 3,
    name: "audit heads",
    sql: `CREATE TABLE audit_heads (
     mesh_id TEXT PRIMARY KEY,
     seq INTEGER NOT NULL,
     hash TEXT NOT NULL,
     at INTEGER NOT NULL
   );`,
  },
];

const COLUMNS =
  "id, mesh_id, to_input, target_spec, target_kind, target_display, priority, reply_to, nonce, ciphertext, " +
  "body_version, fingerprint, content_hash, sender_session_pubkey, status, attempts, next_attempt_at, " +
  "last_error, broker_message_id, recipient_online, created_at, updated_at";

export class OutboxStore {
  readonly #db: Db;
  readonly #insert;
  readonly #get;
  readonly #getByBrokerId;
  readonly #due;
  readonly #update;

  /** Opens (creating when missing) the file at `path`, migrated. */
  static async open(path: string, log?: Logger): Promise<OutboxStore> {
    return new OutboxStore(await openDatabase(path, MIGRATIONS, log));
  }

  private constructor(db: Db) {
    this.#db = db;
    this.#insert = this.#db.prepare(
      `INSERT INTO outbox (${COLUMNS}) VALUES (@id, @mesh_id, @to_input, @target_spec, @target_kind,
         @target_display, @priority, @reply_to, @nonce, @ciphertext, @body_version, @fingerprint, @content_hash,
         @sender_session_pubkey, 'pending', 0, @now, NULL, NULL, @recipient_online, @now, @now)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.#get = this.#db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE id = ?`);
    this.#getByBrokerId = this.#db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE broker_message_id = ?`);
    this.#due = this.#db.prepare(
      `SELECT ${COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY seq LIMIT ?`,
    );
    this.#update = this.#db.prepare(
      `UPDATE outbox SET status = @status, attempts = @attempts, next_attempt_at = @next_attempt_at,
         last_error = @last_error, broker_message_id = @broker_message_id, recipient_online = @recipient_online,
         updated_at = @updated_at WHERE id = @id`,
    );
  }

  /** Commits a new row, or returns the row that already holds this id (nothing is written then). */
  insert(
    row: NewOutboxRow,
    now = Date.now(),
  ): { inserted: true; row: OutboxRow } | { inserted: false; row: OutboxRow } {
    const result = this.#insert.run({ ...row, now });
    const stored = this.get(row.id);
    if (stored === null) throw new Error(`outbox row ${row.id} vanished after insert`);
    return result.changes === 1 ? { inserted: true, row: stored } : { inserted: false, row: stored };
  }

  get(id: string): OutboxRow | null {
    return (this.#get.get(id) as OutboxRow | undefined) ?? null;
  }

  /** By client message id, else by broker message id. */
  find(id: string): OutboxRow | null {
    return this.get(id) ?? (this.#getByBrokerId.get(id) as OutboxRow | undefined) ?? null;
  }

  /** Pending rows whose retry time has come, oldest first. */
  due(now: number, limit: number): OutboxRow[] {
    return this.#due.all(now, limit) as OutboxRow[];
  }

  /** When the next pending row is due, or null when none waits. */
  nextDueAt(): number | null {
    const row = this.#db
      .prepare(`SELECT MIN(next_attempt_at) AS at FROM outbox WHERE status = 'pending'`)
      .get() as {
      at: number | null;
    };
    return row.at;
  }

  /** Rows a crash left in flight go back to pending (the broker deduplicates the resend). */
  resetInflight(now = Date.now()): number {
    return this.#db
      .prepare(
        `UPDATE outbox SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE status = 'inflight'`,
      )
      .run(now, now).changes;
  }

  /** Makes the pending rows of a mesh due now (its connection came up). */
  wakeMesh(meshId: string, now = Date.now()): number {
    return this.#db
      .prepare(
        `UPDATE outbox SET next_attempt_at = ? WHERE status = 'pending' AND mesh_id = ? AND next_attempt_at > ?`,
      )
      .run(now, meshId, now).changes;
  }

  update(
    id: string,
    change: Partial<
      Pick<
        OutboxRow,
        "status" | "attempts" | "next_attempt_at" | "last_error" | "broker_message_id" | "recipient_online"
      >
    >,
    now = Date.now(),
  ): OutboxRow | null {
    const current = this.get(id);
    if (current === null) return null;
    const next = { ...current, ...change, updated_at: now };
    this.#update.run(next);
    return next;
  }

  /** Puts a row back in the queue (keeping its mesh, sender session and bytes). False when it is not retryable. */
  requeue(id: string, now = Date.now()): OutboxRow | null {
    const row = this.find(id);
    if (row === null || row.status === "done" || row.status === "inflight") return row;
    return this.update(
      row.id,
      { status: "pending", attempts: 0, next_attempt_at: now, last_error: null },
      now,
    );
  }

  list(filter: { status?: OutboxStatus; mesh_id?: string; limit: number }): OutboxRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status !== undefined) {
      where.push("status = ?");
      params.push(filter.status);
    }
    if (filter.mesh_id !== undefined) {
      where.push("mesh_id = ?");
      params.push(filter.mesh_id);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const rows = this.#db
      .prepare(`SELECT ${COLUMNS} FROM outbox ${clause} ORDER BY seq DESC LIMIT ?`)
      .all(...params, filter.limit) as OutboxRow[];
    return rows.reverse();
  }

  /** Deletes finished rows (done or dead) last touched before `before` (ms). */
  prune(before: number): number {
    return this.#db
      .prepare(`DELETE FROM outbox WHERE status IN ('done', 'dead') AND updated_at < ?`)
      .run(before).changes;
  }

  /** The last roster seen for a mesh, so names still resolve while the broker is unreachable. */
  cachedRoster(meshId: string): unknown[] | null {
    const row = this.#db.prepare(`SELECT members FROM roster_cache WHERE mesh_id = ?`).get(meshId) as
      { members: string } | undefined;
    if (row === undefined) return null;
    const parsed: unknown = JSON.parse(row.members);
    return Array.isArray(parsed) ? parsed : null;
  }

  cacheRoster(meshId: string, members: unknown[], now = Date.now()): void {
    this.#db
      .prepare(
        `INSERT INTO roster_cache (mesh_id, members, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (mesh_id) DO UPDATE SET members = excluded.members, updated_at = excluded.updated_at`,
      )
      .run(meshId, JSON.stringify(members), now);
  }

  /** The status the member last set by hand in a mesh (`claudemesh status`), kept across restarts. */
  memberStatus(meshId: string): { status: string; at: number } | null {
    const row = this.#db.prepare(`SELECT status, at FROM member_status WHERE mesh_id = ?`).get(meshId) as
      { status: string; at: number } | undefined;
    return row ?? null;
  }

  saveMemberStatus(meshId: string, status: string, at: number): void {
    this.#db
      .prepare(
        `INSERT INTO member_status (mesh_id, status, at) VALUES (?, ?, ?)
         ON CONFLICT (mesh_id) DO UPDATE SET status = excluded.status, at = excluded.at`,
      )
      .run(meshId, status, at);
  }

  /** The newest audit entry a verify of the mesh's log saw here: later verifies check it is still there. */
  auditHead(meshId: string): { seq: number; hash: string; at: number } | null {
    const row = this.#db.prepare(`SELECT seq, hash, at FROM audit_heads WHERE mesh_id = ?`).get(meshId) as
      { seq: number; hash: string; at: number } | undefined;
    return row ?? null;
  }

  saveAuditHead(meshId: string, seq: number, hash: string, now = Date.now()): void {
    this.#db
      .prepare(
        `INSERT INTO audit_heads (mesh_id, seq, hash, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (mesh_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at`,
      )
      .run(meshId, seq, hash, now);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
