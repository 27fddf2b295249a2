import { isPubkey } from "../../../protocol/index.js";
import type {
  AcceptInput,
  AcceptOutcome,
  DeliveryState,
  MessageLookup,
  MessageStore,
} from "../port/index.js";
import { IDEMPOTENCY_RETENTION_MS } from "../retention.js";
import type { SqliteContext } from "./db.js";
import {
  MESSAGE_VALUES,
  messageColumns,
  messageValues,
  toMessage,
  type MessageDbRow,
} from "./message-row.js";

interface IdempotencyKeyRow {
  mesh_id: string;
  sender_member_id: string;
  client_message_id: string;
}

interface IdempotencyRecordRow {
  fingerprint: string;
  message_id: string;
  created_at: number;
}

interface DeliveryStatusDbRow {
  recipient_kind: "member" | "session";
  recipient_member_id: string;
  recipient_pubkey: string;
  state: DeliveryState;
  delivered_at: number | null;
}

const MESSAGE_ID = /^[A-Za-z0-9]{8,32}$/;
const FULL_ID_LENGTH = 32;

/** The smallest string greater than every string starting with `prefix` (ids are ASCII). */
function prefixUpperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Accepting messages (protocol.md §4.3 step 7, §4.5) and `message_status` lookups (§4.11). */
export function messageMethods(ctx: SqliteContext): MessageStore {
  const q = ctx.statements((db) => {
    // Takes the key when it is new or its record expired; `changes` says whether we got it. The
    // statements run once per message bind positionally (see MESSAGE_VALUES).
    const claimKey = db.prepare<
      [
        meshId: string,
        senderMemberId: string,
        clientMessageId: string,
        fingerprint: string,
        messageId: string,
        createdAt: number,
        expiredBefore: number,
      ]
    >(
      `INSERT INTO idempotency (mesh_id, sender_member_id, client_message_id, fingerprint, message_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (mesh_id, sender_member_id, client_message_id) DO UPDATE
         SET fingerprint = excluded.fingerprint, message_id = excluded.message_id, created_at = excluded.created_at
         WHERE idempotency.created_at <= ?`,
    );
    const existingKey = db.prepare<IdempotencyKeyRow, IdempotencyRecordRow>(
      `SELECT fingerprint, message_id, created_at FROM idempotency
       WHERE mesh_id = @mesh_id AND sender_member_id = @sender_member_id AND client_message_id = @client_message_id`,
    );
    const insertMessage = db.prepare<unknown[]>(
      `INSERT INTO messages (${messageColumns()}) VALUES (${MESSAGE_VALUES})`,
    );
    const insertDelivery = db.prepare<
      [
        messageSeq: number,
        meshId: string,
        recipientKind: string,
        recipientMemberId: string,
        recipientPubkey: string,
        excludedPresence: string | null,
        priority: string,
        isMulticast: number,
      ]
    >(
      `INSERT INTO deliveries (message_seq, mesh_id, recipient_kind, recipient_member_id, recipient_pubkey,
                               excluded_presence, priority, is_multicast)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );

    const acceptOne = (input: AcceptInput): AcceptOutcome => {
      const m = input.message;
      if (input.idempotency) {
        const { clientMessageId, fingerprint } = input.idempotency;
        const expiredBefore = m.createdAt - IDEMPOTENCY_RETENTION_MS;
        const taken = claimKey.run(
          m.meshId,
          m.senderMemberId,
          clientMessageId,
          fingerprint,
          m.id,
          m.createdAt,
          expiredBefore,
        );
        if (taken.changes === 0) {
          const original = existingKey.get({
            mesh_id: m.meshId,
            sender_member_id: m.senderMemberId,
            client_message_id: clientMessageId,
          });
          if (!original) throw new Error("idempotency record vanished inside its own transaction");
          return original.fingerprint === fingerprint
            ? { kind: "duplicate", messageId: original.message_id }
            : { kind: "mismatch" };
        }
      }
      const seq = Number(insertMessage.run(messageValues(m)).lastInsertRowid);
      ctx.recentMessages.add(seq, m);
      const isMulticast = isPubkey(m.targetSpec) ? 0 : 1;
      for (const d of input.deliveries) {
        insertDelivery.run(
          seq,
          m.meshId,
          d.recipientKind,
          d.recipientMemberId,
          d.recipientPubkey,
          d.excludedPresence,
          m.priority,
          isMulticast,
        );
      }
      return { kind: "created", messageId: m.id };
    };

    return {
      // One read transaction, so the batch sees one snapshot (per-key reads are in-process here).
      findKeys: ctx.atomic((keys: IdempotencyKeyRow[]) => keys.map((key) => existingKey.get(key)), "read"),
      accept: ctx.atomic((batch: AcceptInput[]) => batch.map(acceptOne)),
      byId: db.prepare<[string, string, string], MessageDbRow>(
        `SELECT ${messageColumns()} FROM messages WHERE id = ? AND mesh_id = ? AND sender_member_id = ?`,
      ),
      // Two rows are enough to tell "unique" from "ambiguous". The unary + keeps the planner on the id
      // index: a prefix range is tiny, a busy sender's messages are not.
      byPrefix: db.prepare<[string, string, string, string], MessageDbRow>(
        `SELECT ${messageColumns()} FROM messages
         WHERE id >= ? AND id < ? AND +sender_member_id = ? AND +mesh_id = ?
         ORDER BY id LIMIT 2`,
      ),
      statuses: db.prepare<[string], DeliveryStatusDbRow>(
        `SELECT recipient_kind, recipient_member_id, recipient_pubkey, state, delivered_at
         FROM deliveries WHERE message_seq = (SELECT seq FROM messages WHERE id = ?) ORDER BY id`,
      ),
    };
  });

  return {
    async findIdempotencies(keys, now) {
      if (keys.length === 0) return [];
      const records = q().findKeys(
        keys.map((k) => ({
          mesh_id: k.meshId,
          sender_member_id: k.senderMemberId,
          client_message_id: k.clientMessageId,
        })),
      );
      return records.map((record) =>
        !record || record.created_at <= now - IDEMPOTENCY_RETENTION_MS
          ? null
          : { fingerprint: record.fingerprint, messageId: record.message_id },
      );
    },
    async acceptMessages(batch) {
      if (batch.length === 0) return [];
      return q().accept(batch);
    },
    async lookupMessage(meshId, senderMemberId, idOrPrefix): Promise<MessageLookup> {
      if (!MESSAGE_ID.test(idOrPrefix)) return { status: "not_found" };
      const rows =
        idOrPrefix.length === FULL_ID_LENGTH
          ? q().byId.all(idOrPrefix, meshId, senderMemberId)
          : q().byPrefix.all(idOrPrefix, prefixUpperBound(idOrPrefix), senderMemberId, meshId);
      const [row, second] = rows;
      if (!row) return { status: "not_found" };
      if (second) return { status: "ambiguous" };
      const deliveries = q()
        .statuses.all(row.id)
        .map((d) => ({
          recipientKind: d.recipient_kind,
          recipientMemberId: d.recipient_member_id,
          recipientPubkey: d.recipient_pubkey,
          state: d.state,
          deliveredAt: d.delivered_at,
        }));
      return { status: "ok", message: toMessage(row), deliveries };
    },
  };
}
