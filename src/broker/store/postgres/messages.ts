import { isPubkey } from "../../../protocol/index.js";
import type {
  AcceptInput,
  AcceptOutcome,
  DeliveryState,
  IdempotencyKey,
  IdempotencyRecord,
  MessageLookup,
  MessageStore,
} from "../port/index.js";
import { IDEMPOTENCY_RETENTION_MS } from "../retention.js";
import { columnList, type Db, type PgContext } from "./db.js";
import { MESSAGE_COLUMNS, MESSAGE_SELECT, toMessage, type MessageDbRow } from "./message-row.js";

interface DeliveryStatusDbRow {
  recipientKind: "member" | "session";
  recipientMemberId: string;
  recipientPubkey: string;
  state: DeliveryState;
  deliveredAt: number | null;
}

const COLUMN_LIST = columnList(MESSAGE_COLUMNS);

const MESSAGE_ID = /^[A-Za-z0-9]{8,32}$/;
const FULL_ID_LENGTH = 32;

/** The smallest string greater than every string starting with `prefix` (ids are ASCII). */
function prefixUpperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * The items of a batch that take an idempotency key: the first item of each key (a key repeated in the
 * batch is taken by its first item and answers the later ones like a retry), in key order, so two nodes
 * taking overlapping keys wait for each other instead of deadlocking.
 */
function keyTakers(batch: AcceptInput[]): AcceptInput[] {
  const first = new Map<string, AcceptInput>();
  for (const item of batch) {
    const { message: m, idempotency } = item;
    if (!idempotency) continue;
    const key = keyOf(m.meshId, m.senderMemberId, idempotency.clientMessageId);
    if (!first.has(key)) first.set(key, item);
  }
  return [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

function keyOf(meshId: string, senderMemberId: string, clientMessageId: string): string {
  return JSON.stringify([meshId, senderMemberId, clientMessageId]);
}

/**
 * A whole batch in one statement (one round trip): its idempotency keys, then the messages whose send
 * holds its key (or has none) and their deliveries.
 *
 * Each key is taken when it is new or its record expired, else its record is left as it is; every key's
 * row is locked and returned, so the outcome is known also when a concurrent accept of the same key
 * (another node) committed first. Message `seq`s and delivery ids (the accept order claims follow) are
 * handed out in input order.
 */
async function acceptBatch(db: Db, batch: AcceptInput[], retentionMs: number): Promise<AcceptOutcome[]> {
  const takers = keyTakers(batch);
  const key = (pick: (item: AcceptInput) => string | number) => takers.map(pick);
  const column = <K extends keyof AcceptInput["message"]>(name: K) => batch.map((c) => c.message[name]);
  const rows = batch.flatMap((c) =>
    c.deliveries.map((d) => ({ ...d, messageId: c.message.id, multicast: !isPubkey(c.message.targetSpec) })),
  );
  const field = <K extends keyof (typeof rows)[number]>(name: K) => rows.map((r) => r[name]);
  const records = await db<(IdempotencyRecord & IdempotencyKey)[]>`
    WITH k AS (
      INSERT INTO idempotency AS i (mesh_id, sender_member_id, client_message_id, fingerprint, message_id, created_at)
      SELECT k.mesh_id, k.sender_member_id, k.client_message_id, k.fingerprint, k.message_id, k.created_at
      FROM unnest(
        ${key((t) => t.message.meshId)}::text[], ${key((t) => t.message.senderMemberId)}::text[],
        ${key((t) => t.idempotency!.clientMessageId)}::text[], ${key((t) => t.idempotency!.fingerprint)}::text[],
        ${key((t) => t.message.id)}::text[], ${key((t) => t.message.createdAt)}::bigint[]
      ) WITH ORDINALITY AS k(mesh_id, sender_member_id, client_message_id, fingerprint, message_id, created_at, ord)
      ORDER BY ord
      ON CONFLICT (mesh_id, sender_member_id, client_message_id) DO UPDATE SET
        fingerprint = CASE WHEN i.created_at <= EXCLUDED.created_at - ${retentionMs}
                           THEN EXCLUDED.fingerprint ELSE i.fingerprint END,
        message_id = CASE WHEN i.created_at <= EXCLUDED.created_at - ${retentionMs}
                          THEN EXCLUDED.message_id ELSE i.message_id END,
        created_at = CASE WHEN i.created_at <= EXCLUDED.created_at - ${retentionMs}
                          THEN EXCLUDED.created_at ELSE i.created_at END
      RETURNING i.mesh_id, i.sender_member_id, i.client_message_id, i.fingerprint, i.message_id
    ), m AS (
      INSERT INTO messages (${db.unsafe(COLUMN_LIST)})
      SELECT ${db.unsafe(COLUMN_LIST)} FROM unnest(
        ${column("id")}::text[], ${column("meshId")}::text[], ${column("senderMemberId")}::text[],
        ${column("senderPresenceId")}::text[], ${column("senderPubkey")}::text[], ${column("senderName")}::text[],
        ${column("targetSpec")}::text[], ${column("priority")}::text[], ${column("nonce")}::text[],
        ${column("ciphertext")}::text[], ${column("bodyVersion")}::int[], ${column("replyToId")}::text[],
        ${column("clientMessageId")}::text[], ${column("requestFingerprint")}::text[], ${column("topicId")}::text[],
        ${column("createdAt")}::bigint[], ${batch.map((c) => c.message.subtype ?? null)}::text[],
        ${db.array(batch.map((c) => c.idempotency !== null))}::boolean[]
      ) WITH ORDINALITY AS r(${db.unsafe(COLUMN_LIST)}, keyed, ord)
      WHERE NOT r.keyed OR EXISTS (SELECT 1 FROM k WHERE k.message_id = r.id)
      ORDER BY r.ord
      RETURNING seq, id, mesh_id, priority
    ), d AS (
      INSERT INTO deliveries (message_seq, mesh_id, recipient_kind, recipient_member_id, recipient_pubkey,
                              excluded_presence, priority, is_multicast)
      SELECT m.seq, m.mesh_id, r.recipient_kind, r.recipient_member_id, r.recipient_pubkey, r.excluded_presence,
             m.priority, r.is_multicast
      FROM unnest(${field("messageId")}::text[], ${field("recipientKind")}::text[],
                  ${field("recipientMemberId")}::text[], ${field("recipientPubkey")}::text[],
                  ${field("excludedPresence")}::text[], ${db.array(field("multicast"))}::boolean[])
           WITH ORDINALITY AS r(message_id, recipient_kind, recipient_member_id, recipient_pubkey,
                                excluded_presence, is_multicast, ord)
      JOIN m ON m.id = r.message_id
      ORDER BY r.ord
    )
    SELECT mesh_id, sender_member_id, client_message_id, fingerprint, message_id FROM k`;
  const byKey = new Map(records.map((r) => [keyOf(r.meshId, r.senderMemberId, r.clientMessageId), r]));
  return batch.map(({ message: m, idempotency }): AcceptOutcome => {
    const created: AcceptOutcome = { kind: "created", messageId: m.id };
    if (!idempotency) return created;
    const record = byKey.get(keyOf(m.meshId, m.senderMemberId, idempotency.clientMessageId));
    if (!record) throw new Error("idempotency upsert returned no row");
    if (record.messageId === m.id) return created;
    return record.fingerprint === idempotency.fingerprint
      ? { kind: "duplicate", messageId: record.messageId }
      : { kind: "mismatch" };
  });
}

/** Accepting messages (protocol.md §4.3 step 7, §4.5) and `message_status` lookups (§4.11). */
export function messageMethods(ctx: PgContext): MessageStore {
  return {
    async findIdempotencies(keys, now) {
      if (keys.length === 0) return [];
      // One statement: the whole batch is answered from one snapshot.
      const rows = await ctx.run(
        false,
        (db) => db<(IdempotencyRecord & { createdAt: number | null })[]>`
          SELECT i.fingerprint, i.message_id, i.created_at
          FROM unnest(${keys.map((k) => k.meshId)}::text[], ${keys.map((k) => k.senderMemberId)}::text[],
                      ${keys.map((k) => k.clientMessageId)}::text[])
               WITH ORDINALITY AS k(mesh_id, sender_member_id, client_message_id, ord)
          LEFT JOIN idempotency i ON i.mesh_id = k.mesh_id AND i.sender_member_id = k.sender_member_id
            AND i.client_message_id = k.client_message_id
          ORDER BY k.ord`,
      );
      return rows.map((r) =>
        r.createdAt === null || r.createdAt <= now - IDEMPOTENCY_RETENTION_MS
          ? null
          : { fingerprint: r.fingerprint, messageId: r.messageId },
      );
    },
    async acceptMessages(batch) {
      if (batch.length === 0) return [];
      // One statement is atomic on its own.
      return ctx.run(false, (db) => acceptBatch(db, batch, IDEMPOTENCY_RETENTION_MS));
    },
    async lookupMessage(meshId, senderMemberId, idOrPrefix): Promise<MessageLookup> {
      if (!MESSAGE_ID.test(idOrPrefix)) return { status: "not_found" };
      return ctx.run(false, async (db): Promise<MessageLookup> => {
        const rows =
          idOrPrefix.length === FULL_ID_LENGTH
            ? await db<MessageDbRow[]>`
                SELECT ${db.unsafe(MESSAGE_SELECT)} FROM messages m
                WHERE m.id = ${idOrPrefix} AND m.mesh_id = ${meshId} AND m.sender_member_id = ${senderMemberId}`
            : // Two rows are enough to tell "unique" from "ambiguous"; the id index serves the range.
              await db<MessageDbRow[]>`
                SELECT ${db.unsafe(MESSAGE_SELECT)} FROM messages m
                WHERE m.id >= ${idOrPrefix} AND m.id < ${prefixUpperBound(idOrPrefix)}
                  AND m.sender_member_id = ${senderMemberId} AND m.mesh_id = ${meshId}
                ORDER BY m.id LIMIT 2`;
        const [row, second] = rows;
        if (!row) return { status: "not_found" };
        if (second) return { status: "ambiguous" };
        const deliveries = await db<DeliveryStatusDbRow[]>`
          SELECT recipient_kind, recipient_member_id, recipient_pubkey, state, delivered_at
          FROM deliveries WHERE message_seq = (SELECT seq FROM messages WHERE id = ${row.id}) ORDER BY id`;
        return {
          status: "ok",
          message: toMessage(row),
          deliveries: deliveries.map((d) => ({
            recipientKind: d.recipientKind,
            recipientMemberId: d.recipientMemberId,
            recipientPubkey: d.recipientPubkey,
            state: d.state,
            deliveredAt: d.deliveredAt,
          })),
        };
      });
    },
  };
}
