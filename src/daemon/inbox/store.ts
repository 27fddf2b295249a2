/**
 * The durable inbox (`inbox.db`): decrypted messages, one row per message (deduplicated on the sender's
 * client message id, else the broker id), with the session the message is for (null = member-level), and a
 * per-(message, viewer) surfaced mark. Viewer = a session key, or "" for the member / ambient callers.
 *
 * A lane (a hook, the channel) first reserves the messages it is about to show, shows them, then marks them
 * surfaced. A reservation only hides a message from other lanes for a short while: a lane that dies before
 * it showed anything leaves the message to the next one (at-least-once, never at-most-once).
 */
import type { InboxMessage } from "../../daemon-api/contract.js";
import type { Priority } from "../../protocol/index.js";
import type { Logger } from "pino";
import type { Migration } from "../../migrations/migration.js";
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

/**
 * Who is reading: a session (its key, mesh, and when it registered) or the member / an ambient caller
 * (`session` null).
 */
export type Viewer = { session: { pubkey: string; meshId: string; registeredMs?: number } | null };

/**
 * Which messages a listing covers:
 * - `lane`: what may be put in front of this viewer's model. A session gets the messages addressed to it
 *   (whenever they came) and member-level ones that came since it registered (older ones were for whoever
 *   ran then); the member gets member-level ones only, never a message addressed to one of its sessions.
 *   Messages another lane has reserved are left out.
 * - `read` (the `inbox` verb): a session as above but without the registration cut; the member gets
 *   member-level messages and those addressed to a session that is not running (`liveSessions` lists the
 *   ones that are), marked with it (`for_session`).
 */
export type InboxScope = "lane" | "read";

/** How long a reservation hides a message from other lanes. */
export const RESERVATION_MS = 15_000;

export function viewerKey(viewer: Viewer): string {
  return viewer.session?.pubkey ?? "";
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `CREATE TABLE messages (
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
  },
  {
    version: 2,
    name: "held-topic-pushes",
    // Topic pushes that arrived before this member's copy of the topic key (protocol.md §5.4): kept as
    // they came (ciphertext), acked, and opened into `messages` once the key is here.
    sql: `CREATE TABLE IF NOT EXISTS held_pushes (
     message_id TEXT PRIMARY KEY,
     mesh_id TEXT NOT NULL,
     topic_id TEXT NOT NULL,
     via_session TEXT,
     push TEXT NOT NULL,
     received_ms INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS held_pushes_topic ON held_pushes (mesh_id, topic_id);`,
  },
];

/** A push kept until its topic key arrives. */
export interface HeldPush {
  messageId: string;
  viaSession: string | null;
  push: unknown;
}

export class InboxStore {
  readonly #db: Db;
  readonly #insert;
  /** Viewer → message seq → when its reservation lapses (ms). In memory: a restart frees them all. */
  readonly #reserved = new Map<string, Map<number, number>>();

  /** Opens (creating when missing) the file at `path`, migrated. */
  static async open(path: string, log?: Logger): Promise<InboxStore> {
    return new InboxStore(await openDatabase(path, MIGRATIONS, log));
  }

  private constructor(db: Db) {
    this.#db = db;
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
    filter: {
      meshId?: string | undefined;
      unread?: boolean;
      sinceMs?: number | undefined;
      limit: number;
      scope?: InboxScope;
      /** Keys of the sessions running now (their messages are theirs, not the member's to read). */
      liveSessions?: readonly string[];
    },
  ): { messages: InboxMessage[]; total: number } {
    const scope = filter.scope ?? "read";
    const { clause, params } = this.#visible(viewer, filter.meshId, scope, filter.liveSessions ?? []);
    const where = [clause];
    if (scope === "lane") {
      const reserved = [...this.#liveReservations(viewerKey(viewer), Date.now()).keys()];
      if (reserved.length > 0) {
        where.push(`m.seq NOT IN (${reserved.map(() => "?").join(", ")})`);
        params.push(...reserved);
      }
    }
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
    const { clause, params } = this.#visible(viewer, undefined, "lane");
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
    const mark = this.#db.prepare(
      `INSERT INTO surfaced (message_seq, viewer, lane, surfaced_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const key = viewerKey(viewer);
    const reserved = this.#reserved.get(key);
    return this.#db.transaction(() => {
      let marked = 0;
      for (const seq of [...this.#seqsOf(viewer, ids).values()].flat()) {
        reserved?.delete(seq);
        marked += mark.run(seq, key, lane, now.toISOString()).changes;
      }
      return marked;
    })();
  }

  /**
   * Reserves messages for a lane that is about to show them: resolves with the ids (as given) this call
   * reserved — unsurfaced for this viewer and not reserved by another live reservation. The lane shows
   * only those, then marks them surfaced; unmarked, a reservation lapses after `ttlMs`.
   */
  reserve(viewer: Viewer, ids: readonly string[], ttlMs = RESERVATION_MS, nowMs = Date.now()): string[] {
    const key = viewerKey(viewer);
    const reserved = this.#liveReservations(key, nowMs);
    const isSurfaced = this.#db.prepare(`SELECT 1 FROM surfaced WHERE message_seq = ? AND viewer = ?`);
    const taken: string[] = [];
    for (const [id, seqs] of this.#seqsOf(viewer, ids)) {
      const free = seqs.filter((seq) => !reserved.has(seq) && !isSurfaced.get(seq, key));
      if (free.length === 0) continue;
      for (const seq of free) reserved.set(seq, nowMs + ttlMs);
      taken.push(id);
    }
    return taken;
  }

  /** Row seqs of the messages `ids` (broker or client ids) that `viewer` may see, by id. */
  #seqsOf(viewer: Viewer, ids: readonly string[]): Map<string, number[]> {
    const { clause, params } = this.#visible(viewer, undefined, "read");
    const find = this.#db.prepare(
      `SELECT m.seq FROM messages m WHERE ${clause} AND (m.id = ? OR m.client_message_id = ?)`,
    );
    const seqs = new Map<string, number[]>();
    for (const id of ids) {
      const rows = find.all(...params, id, id) as Array<{ seq: number }>;
      if (rows.length > 0)
        seqs.set(
          id,
          rows.map((row) => row.seq),
        );
    }
    return seqs;
  }

  /** The viewer's reservations that have not lapsed (lapsed ones are dropped). */
  #liveReservations(key: string, nowMs: number): Map<number, number> {
    let reserved = this.#reserved.get(key);
    if (reserved === undefined) {
      reserved = new Map();
      this.#reserved.set(key, reserved);
    }
    for (const [seq, until] of reserved) if (until <= nowMs) reserved.delete(seq);
    return reserved;
  }

  /** When a message was last marked surfaced by `lane` (ISO), or null when never (within retention). */
  lastSurfacedAt(lane: string): string | null {
    const row = this.#db.prepare(`SELECT MAX(surfaced_at) AS at FROM surfaced WHERE lane = ?`).get(lane) as {
      at: string | null;
    };
    return row.at;
  }

  /** Deletes messages received before `beforeMs` (their surfaced marks go with them). */
  prune(beforeMs: number): number {
    this.#db.prepare(`DELETE FROM held_pushes WHERE received_ms < ?`).run(beforeMs);
    return this.#db.prepare(`DELETE FROM messages WHERE received_ms < ?`).run(beforeMs).changes;
  }

  /** Keeps a topic push that cannot be opened yet (durably: the caller acks it after this returns). */
  hold(
    f: { meshId: string; topicId: string; viaSession: string | null; push: { messageId: string } },
    now: number,
  ): void {
    this.#db
      .prepare(
        `INSERT INTO held_pushes (message_id, mesh_id, topic_id, via_session, push, received_ms)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
      )
      .run(f.push.messageId, f.meshId, f.topicId, f.viaSession, JSON.stringify(f.push), now);
  }

  /** The pushes kept for a topic of a mesh (every topic without `topicId`), oldest first. */
  held(meshId: string, topicId?: string): HeldPush[] {
    const rows = this.#db
      .prepare(
        `SELECT message_id, via_session, push FROM held_pushes
         WHERE mesh_id = ? AND (? IS NULL OR topic_id = ?) ORDER BY received_ms, message_id`,
      )
      .all(meshId, topicId ?? null, topicId ?? null) as Array<{
      message_id: string;
      via_session: string | null;
      push: string;
    }>;
    return rows.map((r) => ({
      messageId: r.message_id,
      viaSession: r.via_session,
      push: JSON.parse(r.push),
    }));
  }

  release(messageId: string): void {
    this.#db.prepare(`DELETE FROM held_pushes WHERE message_id = ?`).run(messageId);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #visible(
    viewer: Viewer,
    meshId: string | undefined,
    scope: InboxScope,
    liveSessions: readonly string[] = [],
  ): { clause: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const session = viewer.session;
    if (session !== null) {
      const since = scope === "lane" && session.registeredMs !== undefined ? " AND m.received_ms >= ?" : "";
      clauses.push(`(m.session_pubkey = ? OR (m.session_pubkey IS NULL AND m.mesh_id = ?${since}))`);
      params.push(session.pubkey, session.meshId);
      if (since !== "") params.push(session.registeredMs);
    } else if (scope === "lane") {
      clauses.push("m.session_pubkey IS NULL");
    } else if (liveSessions.length > 0) {
      clauses.push(
        `(m.session_pubkey IS NULL OR m.session_pubkey NOT IN (${liveSessions.map(() => "?").join(", ")}))`,
      );
      params.push(...liveSessions);
    }
    if (meshId !== undefined) {
      clauses.push("m.mesh_id = ?");
      params.push(meshId);
    }
    return { clause: clauses.length === 0 ? "1" : clauses.join(" AND "), params };
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
    for_session: row.session_pubkey,
  };
  if (row.undecryptable) message.undecryptable = true;
  return message;
}
