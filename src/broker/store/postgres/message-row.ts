import type { Priority } from "../../../protocol/index.js";
import type { MessageRow } from "../port/index.js";
import { columnList } from "./db.js";

/** A `messages` row as selected with {@link MESSAGE_COLUMNS} (camelCased by the driver). */
export interface MessageDbRow {
  id: string;
  meshId: string;
  senderMemberId: string;
  senderPresenceId: string;
  senderPubkey: string;
  senderName: string;
  targetSpec: string;
  priority: Priority;
  nonce: string | null;
  ciphertext: string | null;
  bodyVersion: number | null;
  replyToId: string | null;
  clientMessageId: string | null;
  requestFingerprint: string | null;
  topicId: string | null;
  createdAt: number;
  subtype: string | null;
}

/** The message columns, in the order of {@link MessageDbRow}. */
export const MESSAGE_COLUMNS = [
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

/** The message columns of `messages m` as a select list (see {@link columnList}). */
export const MESSAGE_SELECT = columnList(MESSAGE_COLUMNS, "m");

/** A dropped body (retention) reads back as empty strings. */
export function toMessage(row: MessageDbRow): MessageRow {
  return {
    id: row.id,
    meshId: row.meshId,
    senderMemberId: row.senderMemberId,
    senderPresenceId: row.senderPresenceId,
    senderPubkey: row.senderPubkey,
    senderName: row.senderName,
    targetSpec: row.targetSpec,
    priority: row.priority,
    nonce: row.nonce ?? "",
    ciphertext: row.ciphertext ?? "",
    bodyVersion: row.bodyVersion,
    replyToId: row.replyToId,
    clientMessageId: row.clientMessageId,
    requestFingerprint: row.requestFingerprint,
    topicId: row.topicId,
    createdAt: row.createdAt,
    ...(row.subtype === null ? {} : { subtype: row.subtype }),
  };
}
