/** Messaging (protocol.md §4): `send` → `ack`, `client_ack`, `message_status`; and the broker's `push`. */
import { z } from "zod";
import { OkReply, type ReplyTable } from "../envelope.js";
import { Priority, reqId, replyReqId } from "../fields.js";

export const SendFrame = z.object({
  type: z.literal("send"),
  targetSpec: z.string().min(1),
  priority: Priority.default("next"),
  nonce: z.string().default(""),
  ciphertext: z.string(),
  id: z.string().max(256).optional(),
  client_message_id: z.string().min(1).max(128).optional(),
  request_fingerprint: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  replyToId: z.string().max(128).optional(),
  mentions: z.array(z.string().max(64)).max(16).optional(),
  bodyVersion: z.number().int().min(1).max(2).optional(),
  _reqId: reqId,
});
export type SendFrame = z.infer<typeof SendFrame>;

export const ClientAckFrame = z.object({
  type: z.literal("client_ack"),
  clientMessageId: z.string().max(128).optional(),
  brokerMessageId: z.string().max(128).optional(),
  _reqId: reqId,
});

export const MessageStatusFrame = z.object({
  type: z.literal("message_status"),
  messageId: z.string().max(128),
  _reqId: reqId,
});

/** The answer to a `send` (§4.4); `set_visible` and `set_profile` reuse its shape (§3.4). */
export const AckFrame = z.object({
  type: z.literal("ack"),
  id: z.string(),
  messageId: z.string(),
  queued: z.boolean(),
  error: z.string().optional(),
  duplicate: z.boolean().optional(),
  recipientOnline: z.boolean().optional(),
  _reqId: replyReqId,
});
export type AckFrame = z.infer<typeof AckFrame>;

export const RecipientStatus = z.enum(["delivered", "held", "disconnected", "expired"]);
export const MessageStatusResult = z.object({
  type: z.literal("message_status_result"),
  messageId: z.string(),
  targetSpec: z.string(),
  delivered: z.boolean(),
  deliveredAt: z.string().nullable(),
  recipients: z.array(z.object({ name: z.string(), pubkey: z.string(), status: RecipientStatus })),
  _reqId: replyReqId,
});
export type MessageStatusResult = z.infer<typeof MessageStatusResult>;

/**
 * [ours, additive; capability `backlog_sent`] Written once after a hello: every delivery this connection
 * could claim when it came up has been pushed before it (§4.6). Never a reply.
 */
export const BacklogSentFrame = z.object({ type: z.literal("backlog_sent") });
export type BacklogSentFrame = z.infer<typeof BacklogSentFrame>;

/** A delivery, or a system event with `subtype:"system"` (§4.8, §3.6). Never a reply. */
export const PushFrame = z.object({
  type: z.literal("push"),
  messageId: z.string(),
  meshId: z.string(),
  senderPubkey: z.string(),
  senderMemberPubkey: z.string().optional(),
  senderMemberId: z.string().optional(),
  senderName: z.string().optional(),
  priority: Priority,
  nonce: z.string(),
  ciphertext: z.string(),
  createdAt: z.string(),
  topic: z.string().optional(),
  topicId: z.string().optional(),
  replyToId: z.string().optional(),
  client_message_id: z.string().optional(),
  request_fingerprint: z.string().optional(),
  subtype: z.string().optional(),
  event: z.string().optional(),
  eventData: z.record(z.string(), z.unknown()).optional(),
  targetSpec: z.string().optional(),
  bodyVersion: z.number().optional(),
  recipientPubkey: z.string().optional(),
});
export type PushFrame = z.infer<typeof PushFrame>;

export const messagingRequests = [SendFrame, ClientAckFrame, MessageStatusFrame] as const;
type MessagingRequestType = z.infer<(typeof messagingRequests)[number]>["type"];

export const messagingReplies = {
  send: AckFrame,
  // No reply (§4.9) unless the connection asked for `ok` replies.
  client_ack: OkReply,
  message_status: MessageStatusResult,
} as const satisfies ReplyTable<MessagingRequestType>;
