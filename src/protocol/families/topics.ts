/** topics (protocol.md §6.4) and their keys (§5.4): named channels with history, end-to-end encrypted. */
import { z } from "zod";
import { OkReply, type ReplyTable } from "../envelope.js";
import { hex64, reqId, replyReqId } from "../fields.js";

export const TOPIC_NAME_MAX_CHARS = 50;
export const TOPIC_DESCRIPTION_MAX_CHARS = 500;
export const TOPIC_HISTORY_MAX = 200;
export const TOPIC_HISTORY_DEFAULT = 50;
/** Every mesh has this public topic; new members join it (§6.4). */
export const GENERAL_TOPIC = "general";
export const TOPIC_VISIBILITIES = ["public", "private", "dm"] as const;
export const TopicVisibility = z.enum(TOPIC_VISIBILITIES);
export type TopicVisibility = z.infer<typeof TopicVisibility>;
export const TOPIC_ROLES = ["lead", "member", "observer"] as const;
export const TopicRole = z.enum(TOPIC_ROLES);
export type TopicRole = z.infer<typeof TopicRole>;

/** 1–50 chars of `[a-z0-9-]`, not starting with `-` [ours]. */
export const TopicName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,49}$/,
    "topic names are 1-50 characters of a-z, 0-9 and -, not starting with -",
  );
/** A topic id or name, as requests name a topic. */
const TopicRef = z.string().min(1).max(128);
const KeyId = z.string().regex(/^[0-9a-f]{16}$/, "must be 16 lower-case hex characters");
/** base64 of a sealed 32-byte key (80 bytes → 108 chars); room for padding variants. */
const SealedKey = z.string().min(1).max(256);
const SealSig = z.string().regex(/^[0-9a-f]{128}$/, "must be 128 lower-case hex characters");
const MessageId = z.string().min(1).max(64);

export const TopicCreateFrame = z.object({
  type: z.literal("topic_create"),
  name: TopicName,
  description: z.string().max(TOPIC_DESCRIPTION_MAX_CHARS).optional(),
  visibility: TopicVisibility.optional(),
  keyId: KeyId.optional(),
  sealedKey: SealedKey.optional(),
  sealSig: SealSig.optional(),
  _reqId: reqId,
});

export const TopicListFrame = z.object({ type: z.literal("topic_list"), _reqId: reqId });

export const TopicJoinFrame = z.object({
  type: z.literal("topic_join"),
  topic: TopicRef,
  role: TopicRole.optional(),
  /** [ours] The member pubkey a lead adds to a private or dm topic. */
  member: hex64.optional(),
  _reqId: reqId,
});

export const TopicLeaveFrame = z.object({ type: z.literal("topic_leave"), topic: TopicRef, _reqId: reqId });
export const TopicMembersFrame = z.object({
  type: z.literal("topic_members"),
  topic: TopicRef,
  _reqId: reqId,
});

export const TopicHistoryFrame = z.object({
  type: z.literal("topic_history"),
  topic: TopicRef,
  limit: z.number().int().min(1).max(TOPIC_HISTORY_MAX).optional(),
  beforeId: MessageId.optional(),
  _reqId: reqId,
});

export const TopicMarkReadFrame = z.object({
  type: z.literal("topic_mark_read"),
  topic: TopicRef,
  _reqId: reqId,
});

export const TopicKeyClaimFrame = z.object({
  type: z.literal("topic_key_claim"),
  topic: TopicRef,
  keyId: KeyId,
  sealedKey: SealedKey,
  sealSig: SealSig,
  _reqId: reqId,
});

export const TopicKeyGetFrame = z.object({
  type: z.literal("topic_key_get"),
  topic: TopicRef,
  _reqId: reqId,
});

export const TopicPendingSealsFrame = z.object({
  type: z.literal("topic_pending_seals"),
  topic: TopicRef.optional(),
  _reqId: reqId,
});

export const TopicKeySealFrame = z.object({
  type: z.literal("topic_key_seal"),
  topic: TopicRef,
  memberPubkey: hex64,
  keyId: KeyId,
  sealedKey: SealedKey,
  sealSig: SealSig,
  _reqId: reqId,
});

export const TopicSummary = z.object({ id: z.string(), name: z.string(), visibility: TopicVisibility });

export const TopicCreated = z.object({
  type: z.literal("topic_created"),
  topic: TopicSummary,
  created: z.boolean(),
  _reqId: replyReqId,
});
export type TopicCreated = z.infer<typeof TopicCreated>;

export const TopicEntry = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  visibility: TopicVisibility,
  memberCount: z.number().int(),
  createdAt: z.string(),
  /** [ours, additive] Whether the caller's member is in the topic. */
  joined: z.boolean().optional(),
  /** [ours, additive] Messages from others since the caller's member last marked the topic read. */
  unread: z.number().int().optional(),
  /** [ours, additive] The topic key's id, null while the topic has none. */
  keyId: z.string().nullable().optional(),
});
export type TopicEntry = z.infer<typeof TopicEntry>;

export const TopicListResponse = z.object({
  type: z.literal("topic_list_response"),
  topics: z.array(TopicEntry),
  _reqId: replyReqId,
});
export type TopicListResponse = z.infer<typeof TopicListResponse>;

export const TopicMemberEntry = z.object({
  memberId: z.string(),
  pubkey: z.string(),
  displayName: z.string(),
  role: TopicRole,
  joinedAt: z.string(),
  lastReadAt: z.string().nullable(),
  /** [ours, additive] Whether the member holds a sealed copy of the topic key. */
  hasKey: z.boolean().optional(),
});
export type TopicMemberEntry = z.infer<typeof TopicMemberEntry>;

export const TopicMembersResponse = z.object({
  type: z.literal("topic_members_response"),
  topic: z.string(),
  members: z.array(TopicMemberEntry),
  _reqId: replyReqId,
});
export type TopicMembersResponse = z.infer<typeof TopicMembersResponse>;

export const TopicHistoryEntry = z.object({
  id: z.string(),
  senderPubkey: z.string(),
  senderMemberId: z.string(),
  senderName: z.string(),
  nonce: z.string(),
  ciphertext: z.string(),
  bodyVersion: z.number().nullable(),
  replyToId: z.string().optional(),
  createdAt: z.string(),
  /** [ours, additive] The sender's member pubkey. */
  senderMemberPubkey: z.string().optional(),
});
export type TopicHistoryEntry = z.infer<typeof TopicHistoryEntry>;

export const TopicHistoryResponse = z.object({
  type: z.literal("topic_history_response"),
  topic: z.string(),
  /** [ours, additive] */
  topicId: z.string().optional(),
  messages: z.array(TopicHistoryEntry),
  _reqId: replyReqId,
});
export type TopicHistoryResponse = z.infer<typeof TopicHistoryResponse>;

export const TopicKeyClaimed = z.object({
  type: z.literal("topic_key_claimed"),
  topic: z.string(),
  topicId: z.string(),
  keyId: z.string(),
  _reqId: replyReqId,
});
export type TopicKeyClaimed = z.infer<typeof TopicKeyClaimed>;

export const TopicKeyReply = z.object({
  type: z.literal("topic_key"),
  topic: z.string(),
  topicId: z.string(),
  keyId: z.string(),
  sealedKey: z.string(),
  sealedBy: z.string(),
  sealSig: z.string(),
  createdAt: z.string(),
  _reqId: replyReqId,
});
export type TopicKeyReply = z.infer<typeof TopicKeyReply>;

export const PendingSeal = z.object({
  topicId: z.string(),
  topic: z.string(),
  memberId: z.string(),
  memberPubkey: z.string(),
  /** [ours, additive] The topic key's id the copy must carry. */
  keyId: z.string().optional(),
});
export type PendingSeal = z.infer<typeof PendingSeal>;

export const TopicPendingSealsResult = z.object({
  type: z.literal("topic_pending_seals_result"),
  pending: z.array(PendingSeal),
  _reqId: replyReqId,
});
export type TopicPendingSealsResult = z.infer<typeof TopicPendingSealsResult>;

export const TopicKeySealAck = z.object({
  type: z.literal("topic_key_seal_ack"),
  topic: z.string(),
  topicId: z.string(),
  memberPubkey: z.string(),
  _reqId: replyReqId,
});
export type TopicKeySealAck = z.infer<typeof TopicKeySealAck>;

/** `eventData` of `topic_key_needed` (§5.4): a member of the topic lacks a copy of its key. */
export const TopicKeyNeededData = z.object({
  topicId: z.string(),
  topic: z.string(),
  memberPubkey: z.string(),
});
/** `eventData` of `topic_key_available` (§5.4): the recipient's copy has arrived. */
export const TopicKeyAvailableData = z.object({ topicId: z.string(), topic: z.string() });

export const topicRequests = [
  TopicCreateFrame,
  TopicListFrame,
  TopicJoinFrame,
  TopicLeaveFrame,
  TopicMembersFrame,
  TopicHistoryFrame,
  TopicMarkReadFrame,
  TopicKeyClaimFrame,
  TopicKeyGetFrame,
  TopicPendingSealsFrame,
  TopicKeySealFrame,
] as const;
type TopicRequestType = z.infer<(typeof topicRequests)[number]>["type"];

export const topicReplies = {
  topic_create: TopicCreated,
  topic_list: TopicListResponse,
  // No reply (§1.9) unless the connection asked for `ok` replies.
  topic_join: OkReply,
  topic_leave: OkReply,
  topic_members: TopicMembersResponse,
  topic_history: TopicHistoryResponse,
  topic_mark_read: OkReply,
  topic_key_claim: TopicKeyClaimed,
  topic_key_get: TopicKeyReply,
  topic_pending_seals: TopicPendingSealsResult,
  topic_key_seal: TopicKeySealAck,
} as const satisfies ReplyTable<TopicRequestType>;
