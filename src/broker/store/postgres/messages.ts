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
import type { Db, PgContext } from "./db.js";
import { MESSAGE_COLUMNS, messageColumns, toMessage, type MessageDbRow } from "./message-row.js";

interface DeliveryStatusDbRow {
  recipientKind: "member" | "session";
  recipientMemberId: string;
  recipientPubkey: string;
  state: DeliveryState;
  deliveredAt: number | null;
}

const MESSAGE_ID = /^[A-Za-z0-9]{8,32}$/;
const FULL_ID_LENGTH = 32;

/** The smallest string greater than every string starting with `prefix` (ids are ASCII). */
function prefixUpperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * Takes each send's idempotency key when it is new or its record expired, else leaves the record as it
 * is, in one statement for the whole batch; every row is locked and returned, so the outcome is known
 * also when a concurrent accept of the same key (another node) committed first. Keys are taken in key
 * order, so two nodes taking overlapping keys wait for each other instead of deadlocking. A key repeated
 * in the batch is taken by its first item and answers the later ones like a retry. Null: the item's key
 * is its own message's.
 */
async function claimKeys(
  db: Db,
  batch: AcceptInput[],
  retentionMs: number,
): Promise<(AcceptOutcome | null)[]> {
  const keyOf = (meshId: string, senderMemberId: string, clientMessageId: string) =>
    JSON.stringify([meshId, senderMemberId, clientMessageId]);
  const first = new Map<string, AcceptInput>();
  for (const item of batch) {
    const { message: m, idempotency } = item;
    if (!idempotency) continue;
    const key = keyOf(m.meshId, m.senderMemberId, idempotency.clientMessageId);
    if (!first.has(key)) first.set(key, item);
  }
  if (first.size === 0) return batch.map(() => null);
  const takers = [...first.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, item]) => item);
  const column = (pick: (item: AcceptInput) => string | number) => takers.map(pick);
  const rows = await db<(IdempotencyRecord & IdempotencyKey)[]>`
    INSERT INTO idempotency AS i (mesh_id, sender_member_id, client_message_id, fingerprint, message_id, created_at)
    SELECT k.mesh_id, k.sender_member_id, k.client_message_id, k.fingerprint, k.message_id, k.created_at
    FROM unnest(
      ${column((t) => t.message.meshId)}::text[], ${column((t) => t.message.senderMemberId)}::text[],
      ${column((t) => t.idempotency!.clientMessageId)}::text[], ${column((t) => t.idempotency!.fingerprint)}::text[],
      ${column((t) => t.message.id)}::text[], ${column((t) => t.message.createdAt)}::bigint[]
    ) WITH ORDINALITY AS k(mesh_id, sender_member_id, client_message_id, fingerprint, message_id, created_at, ord)
    ORDER BY ord
    ON CONFLICT (mesh_id, sender_member_id, client_message_id) DO UPDATE SET
      fingerprint = CASE WHEN i.created_at <= EXCLUDED.created_at - ${retentionMs}
                         THEN EXCLUDED.fingerprint ELSE i.fingerprint END,
      message_id = CASE WHEN i.created_at <= EXCLUDED.created_at - ${retentionMs}
                        THEN EXCLUDED.message_id ELSE i.message_id END,
      created_at = CASE WHEN i.created_at <= EXCLUDED.created_at - ${retentionMs}
                        THEN EXCLUDED.created_at ELSE i.created_at END
    RETURNING mesh_id, sender_member_id, client_message_id, fingerprint, message_id`;
  const records = new Map(rows.map((r) => [keyOf(r.meshId, r.senderMemberId, r.clientMessageId), r]));
  return batch.map(({ message: m, idempotency }): AcceptOutcome | null => {
    if (!idempotency) return null;
    const record = records.get(keyOf(m.meshId, m.senderMemberId, idempotency.clientMessageId));
    if (!record) throw new Error("idempotency upsert returned no row");
    if (record.messageId === m.id) return null;
    return record.fingerprint === idempotency.fingerprint
      ? { kind: "duplicate", messageId: record.messageId }
      : { kind: "mismatch" };
  });
}

/**
 * The batch's new messages and their deliveries in two statements, in input order: message `seq`s and
 * delivery ids (the accept order claims follow) are handed out in the order the rows are inserted.
 */
async function insertMessages(db: Db, created: AcceptInput[]): Promise<void> {
  if (created.length === 0) return;
  const column = <K extends keyof AcceptInput["message"]>(key: K) => created.map((c) => c.message[key]);
  const messages = db`
    INSERT INTO messages (${db([...MESSAGE_COLUMNS])})
    SELECT ${db(messageColumns("r"))} FROM unnest(
      ${column("id")}::text[], ${column("meshId")}::text[], ${column("senderMemberId")}::text[],
      ${column("senderPresenceId")}::text[], ${column("senderPubkey")}::text[], ${column("senderName")}::text[],
      ${column("targetSpec")}::text[], ${column("priority")}::text[], ${column("nonce")}::text[],
      ${column("ciphertext")}::text[], ${column("bodyVersion")}::int[], ${column("replyToId")}::text[],
      ${column("clientMessageId")}::text[], ${column("requestFingerprint")}::text[], ${column("topicId")}::text[],
      ${column("createdAt")}::bigint[], ${created.map((c) => c.message.subtype ?? null)}::text[]
    ) WITH ORDINALITY AS r(${db([...MESSAGE_COLUMNS])}, ord)
    ORDER BY ord`;
  const rows = created.flatMap((c) =>
    c.deliveries.map((d) => ({ ...d, messageId: c.message.id, multicast: !isPubkey(c.message.targetSpec) })),
  );
  if (rows.length === 0) {
    await messages;
    return;
  }
  const field = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((r) => r[key]);
  // Sent together (one connection runs them in order): the deliveries find the messages just inserted.
  const deliveries = db`
    INSERT INTO deliveries (message_seq, mesh_id, recipient_kind, recipient_member_id, recipient_pubkey,
                            excluded_presence, priority, is_multicast)
    SELECT m.seq, m.mesh_id, r.recipient_kind, r.recipient_member_id, r.recipient_pubkey, r.excluded_presence,
           m.priority, r.is_multicast
    FROM unnest(${field("messageId")}::text[], ${field("recipientKind")}::text[],
                ${field("recipientMemberId")}::text[], ${field("recipientPubkey")}::text[],
                ${field("excludedPresence")}::text[], ${db.array(field("multicast"))}::boolean[])
         WITH ORDINALITY AS r(message_id, recipient_kind, recipient_member_id, recipient_pubkey,
                              excluded_presence, is_multicast, ord)
    JOIN messages m ON m.id = r.message_id
    ORDER BY r.ord`;
  await Promise.all([messages, deliveries]);
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
      return ctx.run(true, async (db) => {
        // Keys first: a key already taken answers its item, which then writes nothing.
        const answered = await claimKeys(db, batch, IDEMPOTENCY_RETENTION_MS);
        await insertMessages(
          db,
          batch.filter((_, i) => !answered[i]),
        );
        return batch.map(
          (input, i): AcceptOutcome => answered[i] ?? { kind: "created", messageId: input.message.id },
        );
      });
    },
    async lookupMessage(meshId, senderMemberId, idOrPrefix): Promise<MessageLookup> {
      if (!MESSAGE_ID.test(idOrPrefix)) return { status: "not_found" };
      return ctx.run(false, async (db): Promise<MessageLookup> => {
        const rows =
          idOrPrefix.length === FULL_ID_LENGTH
            ? await db<MessageDbRow[]>`
                SELECT ${db(messageColumns("m"))} FROM messages m
                WHERE m.id = ${idOrPrefix} AND m.mesh_id = ${meshId} AND m.sender_member_id = ${senderMemberId}`
            : // Two rows are enough to tell "unique" from "ambiguous"; the id index serves the range.
              await db<MessageDbRow[]>`
                SELECT ${db(messageColumns("m"))} FROM messages m
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
