import type { Priority } from "../../../protocol/index.js";
import type { MessageRow } from "../port/index.js";

/** A `messages` row as selected with {@link messageColumns}. */
export interface MessageDbRow {
  id: string;
  mesh_id: string;
  sender_member_id: string;
  sender_presence_id: string;
  sender_pubkey: string;
  sender_name: string;
  target_spec: string;
  priority: Priority;
  nonce: string | null;
  ciphertext: string | null;
  body_version: number | null;
  reply_to_id: string | null;
  client_message_id: string | null;
  request_fingerprint: string | null;
  topic_id: string | null;
  created_at: number;
  subtype: string | null;
}

const COLUMNS = [
  "id",
  "mesh_id",
  "sender_member_id",
  "sender_presence_id",
  "sender_pubkey",
  "sender_name",
  "target_spec",
  "priority",
  "nonce",
  "ciphertext",
  "body_version",
  "reply_to_id",
  "client_message_id",
  "request_fingerprint",
  "topic_id",
  "created_at",
  "subtype",
] as const;

/** The message columns, optionally qualified by a table alias (`m.id, m.mesh_id, …`). */
export function messageColumns(alias?: string): string {
  return COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(", ");
}

/**
 * `?, ?, …` for an INSERT bound with {@link messageValues}. Positional: better-sqlite3 binds an array
 * about twice as fast as it looks up named parameters in an object, and this runs once per message.
 */
export const MESSAGE_VALUES = COLUMNS.map(() => "?").join(", ");

/** A dropped body (retention) reads back as empty strings. */
export function toMessage(row: MessageDbRow): MessageRow {
  return {
    id: row.id,
    meshId: row.mesh_id,
    senderMemberId: row.sender_member_id,
    senderPresenceId: row.sender_presence_id,
    senderPubkey: row.sender_pubkey,
    senderName: row.sender_name,
    targetSpec: row.target_spec,
    priority: row.priority,
    nonce: row.nonce ?? "",
    ciphertext: row.ciphertext ?? "",
    bodyVersion: row.body_version,
    replyToId: row.reply_to_id,
    clientMessageId: row.client_message_id,
    requestFingerprint: row.request_fingerprint,
    topicId: row.topic_id,
    createdAt: row.created_at,
    ...(row.subtype === null ? {} : { subtype: row.subtype }),
  };
}

/** The values of {@link messageColumns}, in their order. */
export function messageValues(m: MessageRow): unknown[] {
  return [
    m.id,
    m.meshId,
    m.senderMemberId,
    m.senderPresenceId,
    m.senderPubkey,
    m.senderName,
    m.targetSpec,
    m.priority,
    m.nonce,
    m.ciphertext,
    m.bodyVersion,
    m.replyToId,
    m.clientMessageId,
    m.requestFingerprint,
    m.topicId,
    m.createdAt,
    m.subtype ?? null,
  ];
}
