/**
 * The durable inbox (`inbox.db`): decrypted messages, one row per message (deduplicated on the sender's
 * client message id, else the broker id), with the session the push was for (null = member-level), and a
 * per-(message, viewer) surfaced mark. Viewer = a session key, or "" for the member / ambient callers.
 */
import type { InboxMessage } from "../../local/daemon-api.js";
import type { Priority } from "../../protocol/index.js";
import { openDatabase, type Db } from "../db.js";

/** Messages older than this are deleted. */
export const INBOX_RETENTION_MS = 30 * 24 * 3_600_000;
/** The most rows one list or replay returns. */
export const INBOX_MAX_LIMIT = 1_000;

export interface NewInboxRow {
  /** Broker message id. */
  id: string;
  dedupe_key: string;
  event_id: number;
  mesh_id: string;
  mesh_slug: string;
  client_message_id: string | null;
  session_pubkey: string | null;
  recipient_pubkey: string | null;
  from_name: string;
  from_pubkey: string;
  from_session_pubkey: string | null;
  target_spec: string;
  body: string;
  encrypted: boolean;
  undecryptable: boolean;
  priority: Priority;
  topic: string | null;
  reply_to: string | null;
  sent_at: string;
  received_at: string;
  received_ms: number;
}

interface StoredRow extends Omit<NewInboxRow, "encrypted" | "undecryptable"> {
  seq: number;
  encrypted: number;
  undecryptable: number;
  surfaced: number;
}

/** Who is reading: a session (its key and mesh) or the member / an ambient caller (`session` null). */
export type Viewer = { session: { pubkey: string; meshId: string } | null };

export function viewerKey(viewer: Viewer): string {
  return viewer.session?.pubkey ?? "";
}

const MIGRATIONS = [
  `CREATE TABLE messages (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL,
     dedupe_key TEXT NOT NULL UNIQUE,
     event_id INTEGER NOT NULL,
     mesh_id TEXT NOT NULL,
     mesh_slug TEXT NOT NULL,
     client_message_id TEXT,
     session_pubkey TEXT,
     recipient_pubkey TEXT,
     from_name TEXT NOT NULL,
     from_pubkey TEXT NOT NULL,
     from_session_pubkey TEXT,
     target_spec TEXT NOT NULL,
     body TEXT NOT NULL,
     encrypted INTEGER NOT NULL,
     undecryptable INTEGER NOT NULL,
     priority TEXT NOT NULL,
     topic TEXT,
     reply_to TEXT,
     sent_at TEXT NOT NULL,
     received_at TEXT NOT NULL,
     received_ms INTEGER NOT NULL
   );
   CREATE INDEX messages_id ON messages (id);
   CREATE INDEX messages_client_id ON messages (client_message_id);
   CREATE INDEX messages_event ON messages (event_id);
   CREATE INDEX messages_received ON messages (received_ms);
   CREATE TABLE surfaced (
     message_seq INTEGER NOT NULL REFERENCES messages (seq) ON DELETE CASCADE,
     viewer TEXT NOT NULL,
     lane TEXT,
     surfaced_at TEXT NOT NULL,
     PRIMARY KEY (message_seq, viewer)
   );`,
];

export class InboxStore {
  readonly #db: Db;
  readonly #insert;

  constructor(path: string) {
    this.#db = openDatabase(path, MIGRATIONS);
    this.#db.pragma("foreign_keys = ON");
    this.#insert = this.#db.prepare(
      `INSERT INTO messages (id, dedupe_key, event_id, mesh_id, mesh_slug, client_message_id, session_pubkey,
         recipient_pubkey, from_name, from_pubkey, from_session_pubkey, target_spec, body, encrypted, undecryptable,
         priority, topic, reply_to, sent_at, received_at, received_ms)
       VALUES (@id, @dedupe_key, @event_id, @mesh_id, @mesh_slug, @client_message_id, @session_pubkey,
         @recipient_pubkey, @from_name, @from_pubkey, @from_session_pubkey, @target_spec, @body, @encrypted,
         @undecryptable, @priority, @topic, @reply_to, @sent_at, @received_at, @received_ms)
       ON CONFLICT (dedupe_key) DO NOTHING`,
    );
  }

  /** Writes the row unless one with its dedupe key exists. True when it was new. */
  insert(row: NewInboxRow): boolean {
    const result = this.#insert.run({
      ...row,
      encrypted: row.encrypted ? 1 : 0,
      undecryptable: row.undecryptable ? 1 : 0,
    });
    return result.changes === 1;
  }

  /** The highest event id ever stored (event ids stay monotonic across restarts). */
  maxEventId(): number {
    const row = this.#db.prepare(`SELECT MAX(event_id) AS max FROM messages`).get() as { max: number | null };
    return row.max ?? 0;
  }

  /**
   * Messages visible to `viewer`, oldest first: a session sees its own and its mesh's member-level ones, a
   * caller without a session only member-level ones. `unread` = not surfaced for this viewer. With `unread`,
   * `limit` keeps the oldest; otherwise the newest. `total` counts every match before the limit.
   */
  list(
    viewer: Viewer,
    filter: { meshId?: string | undefined; unread?: boolean; sinceMs?: number | undefined; limit: number },
  ): { messages: InboxMessage[]; total: number } {
    const { clause, params } = this.#visible(viewer, filter.meshId);
    const where = [clause];
    if (filter.unread === true) where.push("surfaced_by.message_seq IS NULL");
    if (filter.sinceMs !== undefined) {
      where.push("m.received_ms >= ?");
      params.push(filter.sinceMs);
    }
    const from = `FROM messages m LEFT JOIN surfaced surfaced_by ON surfaced_by.message_seq = m.seq AND surfaced_by.viewer = ?
      WHERE ${where.join(" AND ")}`;
    const all = [viewerKey(viewer), ...params];
    const total = (this.#db.prepare(`SELECT COUNT(*) AS n ${from}`).get(...all) as { n: number }).n;
    const order = filter.unread === true ? "ASC" : "DESC";
    const rows = this.#db
      .prepare(
        `SELECT m.*, surfaced_by.message_seq IS NOT NULL AS surfaced ${from} ORDER BY m.seq ${order} LIMIT ?`,
      )
      .all(...all, Math.min(filter.limit, INBOX_MAX_LIMIT)) as StoredRow[];
    if (order === "DESC") rows.reverse();
    return { messages: rows.map(toMessage), total };
  }

  /** Message rows with an event id above `afterEventId` that `viewer` may see, in event order (SSE replay). */
  since(
    viewer: Viewer,
    afterEventId: number,
  ): Array<{ eventId: number; meshId: string; message: InboxMessage; sessionPubkey: string | null }> {
    const { clause, params } = this.#visible(viewer, undefined);
    const rows = this.#db
      .prepare(
        `SELECT m.*, surfaced_by.message_seq IS NOT NULL AS surfaced FROM messages m
         LEFT JOIN surfaced surfaced_by ON surfaced_by.message_seq = m.seq AND surfaced_by.viewer = ?
         WHERE ${clause} AND m.event_id > ? ORDER BY m.event_id LIMIT ?`,
      )
      .all(viewerKey(viewer), ...params, afterEventId, INBOX_MAX_LIMIT) as StoredRow[];
    return rows.map((row) => ({
      eventId: row.event_id,
      meshId: row.mesh_id,
      message: toMessage(row),
      sessionPubkey: row.session_pubkey,
    }));
  }

  /**
   * Marks messages surfaced for `viewer`; `ids` may be broker or client message ids. Only messages the
   * viewer can see are marked. Returns how many marks are new.
   */
  markSurfaced(viewer: Viewer, ids: readonly string[], lane: string | null, now = new Date()): number {
    const { clause, params } = this.#visible(viewer, undefined);
    const find = this.#db.prepare(
      `SELECT m.seq FROM messages m WHERE ${clause} AND (m.id = ? OR m.client_message_id = ?)`,
    );
    const mark = this.#db.prepare(
      `INSERT INTO surfaced (message_seq, viewer, lane, surfaced_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const key = viewerKey(viewer);
    return this.#db.transaction(() => {
      let marked = 0;
      for (const id of ids) {
        for (const row of find.all(...params, id, id) as Array<{ seq: number }>) {
          marked += mark.run(row.seq, key, lane, now.toISOString()).changes;
        }
      }
      return marked;
    })();
  }

  /** Deletes messages received before `beforeMs` (their surfaced marks go with them). */
  prune(beforeMs: number): number {
    return this.#db.prepare(`DELETE FROM messages WHERE received_ms < ?`).run(beforeMs).changes;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #visible(viewer: Viewer, meshId: string | undefined): { clause: string; params: unknown[] } {
    if (viewer.session !== null) {
      const params: unknown[] = [viewer.session.pubkey, viewer.session.meshId];
      let clause = "(m.session_pubkey = ? OR (m.session_pubkey IS NULL AND m.mesh_id = ?))";
      if (meshId !== undefined) {
        clause += " AND m.mesh_id = ?";
        params.push(meshId);
      }
      return { clause, params };
    }
    if (meshId !== undefined)
      return { clause: "m.session_pubkey IS NULL AND m.mesh_id = ?", params: [meshId] };
    return { clause: "m.session_pubkey IS NULL", params: [] };
  }
}

function toMessage(row: StoredRow): InboxMessage {
  return inboxMessage(
    { ...row, encrypted: row.encrypted === 1, undecryptable: row.undecryptable === 1 },
    row.surfaced === 1,
  );
}

/** The API view of an inbox row (daemon-api `InboxMessage`). */
export function inboxMessage(row: NewInboxRow, surfaced: boolean): InboxMessage {
  const message: InboxMessage = {
    id: row.id,
    mesh: row.mesh_slug,
    from_name: row.from_name,
    from_pubkey: row.from_pubkey,
    from_session_pubkey: row.from_session_pubkey,
    to: row.target_spec,
    body: row.body,
    priority: row.priority,
    topic: row.topic,
    reply_to: row.reply_to,
    sent_at: row.sent_at,
    received_at: row.received_at,
    surfaced,
    broker_message_id: row.id,
    encrypted: row.encrypted,
  };
  if (row.undecryptable) message.undecryptable = true;
  return message;
}
