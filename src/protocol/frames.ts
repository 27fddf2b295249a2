/**
 * One schema per client→broker frame, joined in a discriminated union on `type` (protocol.md §2-§4),
 * and the shapes of broker→client frames. Unknown extra fields are ignored (stripped), never an error.
 */
import { z } from "zod";
import { MESSAGE_MODES } from "./constants.js";

export const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex characters");
const reqId = z.string().min(1).max(128).optional();
const groupRef = z.object({ name: z.string(), role: z.string().optional() });
const capabilities = z.array(z.string().max(64)).max(64).optional();

export const Priority = z.enum(["now", "next", "low"]);
export type Priority = z.infer<typeof Priority>;
export const PresenceStatus = z.enum(["idle", "working", "dnd"]);
export type PresenceStatus = z.infer<typeof PresenceStatus>;
export const StatusSource = z.enum(["hook", "manual", "inferred"]);
export type StatusSource = z.infer<typeof StatusSource>;
export const PeerRole = z.enum(["control-plane", "session", "service"]);
export type PeerRole = z.infer<typeof PeerRole>;
export const MemberRole = z.enum(["owner", "admin", "member"]);
export type MemberRole = z.infer<typeof MemberRole>;
export const MessageMode = z.enum(MESSAGE_MODES);
export type MessageMode = z.infer<typeof MessageMode>;

/** Fields both hello kinds share. Signature fields are validated by the handshake, in protocol order. */
const helloCommon = {
  meshId: z.string().min(1).max(128),
  displayName: z.string().max(64).optional(),
  sessionId: z.string().max(256).optional(),
  pid: z.number().int().nonnegative().optional(),
  cwd: z.string().max(4096).optional(),
  hostname: z.string().max(256).optional(),
  peerType: z.enum(["ai", "human", "connector"]).optional(),
  channel: z.string().max(64).optional(),
  model: z.string().max(128).optional(),
  groups: z.array(groupRef).max(64).optional(),
  timestamp: z.number(),
  signature: z.string().max(256),
  protocolVersion: z.number().int().positive().optional(),
  capabilities,
  _reqId: reqId,
};

export const HelloFrame = z.object({
  type: z.literal("hello"),
  ...helloCommon,
  memberId: z.string().max(128),
  pubkey: z.string().max(128),
  sessionPubkey: z.string().max(128).optional(),
});
export type HelloFrame = z.infer<typeof HelloFrame>;

export const Attestation = z.object({
  sessionPubkey: z.string().max(128),
  parentMemberPubkey: z.string().max(128),
  expiresAt: z.number(),
  signature: z.string().max(256),
});
export type Attestation = z.infer<typeof Attestation>;

export const SessionHelloFrame = z.object({
  type: z.literal("session_hello"),
  ...helloCommon,
  parentMemberId: z.string().max(128).optional(),
  parentMemberPubkey: z.string().max(128),
  sessionPubkey: z.string().max(128),
  parentAttestation: z.unknown(),
  role: z.string().max(64).optional(),
});
export type SessionHelloFrame = z.infer<typeof SessionHelloFrame>;

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
export const SetStatusFrame = z.object({
  type: z.literal("set_status"),
  status: PresenceStatus,
  source: StatusSource.optional(),
  _reqId: reqId,
});
export const SetSummaryFrame = z.object({
  type: z.literal("set_summary"),
  summary: z.string(),
  _reqId: reqId,
});
export const Stats = z.object({
  messagesIn: z.number().optional(),
  messagesOut: z.number().optional(),
  toolCalls: z.number().optional(),
  uptime: z.number().optional(),
  errors: z.number().optional(),
});
export type Stats = z.infer<typeof Stats>;
export const SetStatsFrame = z.object({ type: z.literal("set_stats"), stats: Stats, _reqId: reqId });
export const SetVisibleFrame = z.object({
  type: z.literal("set_visible"),
  visible: z.boolean(),
  _reqId: reqId,
});
export const Profile = z.object({
  avatar: z.string().max(2048).optional(),
  title: z.string().max(256).optional(),
  bio: z.string().max(2048).optional(),
  capabilities: z.array(z.string().max(128)).max(64).optional(),
});
export type Profile = z.infer<typeof Profile>;
export const SetProfileFrame = Profile.extend({ type: z.literal("set_profile"), _reqId: reqId });
export const JoinGroupFrame = z.object({
  type: z.literal("join_group"),
  name: z.string(),
  role: z.string().max(64).optional(),
  _reqId: reqId,
});
export const LeaveGroupFrame = z.object({ type: z.literal("leave_group"), name: z.string(), _reqId: reqId });
export const ListPeersFrame = z.object({ type: z.literal("list_peers"), _reqId: reqId });
export const ListMembersFrame = z.object({ type: z.literal("list_members"), _reqId: reqId });
const moderationTarget = {
  target: z.string().max(128).optional(),
  stale: z.number().nonnegative().optional(),
  all: z.boolean().optional(),
  _reqId: reqId,
};
export const DisconnectFrame = z.object({ type: z.literal("disconnect"), ...moderationTarget });
export const KickFrame = z.object({ type: z.literal("kick"), ...moderationTarget });
export const BanFrame = z.object({
  type: z.literal("ban"),
  target: z.string().max(128).optional(),
  reason: z.string().max(512).optional(),
  _reqId: reqId,
});
export const UnbanFrame = z.object({ type: z.literal("unban"), target: z.string().max(128), _reqId: reqId });
export const ListBansFrame = z.object({ type: z.literal("list_bans"), _reqId: reqId });
export const LeaveMeshFrame = z.object({ type: z.literal("leave_mesh"), _reqId: reqId });
export const ByeFrame = z.object({ type: z.literal("bye"), _reqId: reqId });

/** Every client→broker frame this broker handles after hello. */
export const ClientFrame = z.discriminatedUnion("type", [
  SendFrame,
  ClientAckFrame,
  MessageStatusFrame,
  SetStatusFrame,
  SetSummaryFrame,
  SetStatsFrame,
  SetVisibleFrame,
  SetProfileFrame,
  JoinGroupFrame,
  LeaveGroupFrame,
  ListPeersFrame,
  ListMembersFrame,
  DisconnectFrame,
  KickFrame,
  BanFrame,
  UnbanFrame,
  ListBansFrame,
  LeaveMeshFrame,
  ByeFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameType = ClientFrame["type"];
export type FrameOf<T extends ClientFrameType> = Extract<ClientFrame, { type: T }>;

/** Schemas by type, for the dispatcher's per-handler validation. */
export const clientFrameSchemas = new Map<string, z.ZodType>(
  ClientFrame.options.map((schema) => [schema.shape.type.value, schema]),
);
export const HELLO_TYPES = new Set(["hello", "session_hello"]);

/** `"<field>: <problem>"` for the first issue of a failed parse (protocol.md §1.5). */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid frame";
  const path = issue.path.length > 0 ? issue.path.join(".") : "frame";
  return `${path}: ${issue.message}`;
}

// ---- broker → client ----------------------------------------------------------------------------

export const GroupRef = groupRef;
export type GroupRef = z.infer<typeof groupRef>;

export const PeerEntry = z.object({
  pubkey: z.string(),
  memberPubkey: z.string(),
  displayName: z.string(),
  status: PresenceStatus,
  summary: z.string().nullable(),
  groups: z.array(groupRef),
  sessionId: z.string(),
  connectedAt: z.string(),
  cwd: z.string(),
  peerRole: PeerRole,
  hostname: z.string().optional(),
  peerType: z.string().optional(),
  channel: z.string().optional(),
  model: z.string().optional(),
  stats: Stats.optional(),
  visible: z.boolean().optional(),
  profile: Profile.optional(),
});
export type PeerEntry = z.infer<typeof PeerEntry>;

export const HelloAck = z.object({
  type: z.literal("hello_ack"),
  presenceId: z.string(),
  memberDisplayName: z.string(),
  memberProfile: z
    .object({
      roleTag: z.string().nullable().optional(),
      groups: z.array(groupRef),
      messageMode: MessageMode,
    })
    .optional(),
  restored: z.boolean().optional(),
  lastSummary: z.string().nullable().optional(),
  lastSeenAt: z.string().nullable().optional(),
  restoredGroups: z.array(groupRef).optional(),
  services: z.array(z.unknown()).optional(),
  protocolVersion: z.number().optional(),
  features: z.array(z.string()).optional(),
  serverTime: z.number().optional(),
  _reqId: z.string().optional(),
});
export type HelloAck = z.infer<typeof HelloAck>;

export const ErrorFrame = z.object({
  type: z.literal("error"),
  code: z.string(),
  message: z.string(),
  id: z.string().optional(),
  serverTime: z.number().optional(),
  _reqId: z.string().optional(),
});
export type ErrorFrame = z.infer<typeof ErrorFrame>;

export const AckFrame = z.object({
  type: z.literal("ack"),
  id: z.string(),
  messageId: z.string(),
  queued: z.boolean(),
  error: z.string().optional(),
  duplicate: z.boolean().optional(),
  recipientOnline: z.boolean().optional(),
  _reqId: z.string().optional(),
});
export type AckFrame = z.infer<typeof AckFrame>;

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

export const RecipientStatus = z.enum(["delivered", "held", "disconnected", "expired"]);
export const MessageStatusResult = z.object({
  type: z.literal("message_status_result"),
  messageId: z.string(),
  targetSpec: z.string(),
  delivered: z.boolean(),
  deliveredAt: z.string().nullable(),
  recipients: z.array(z.object({ name: z.string(), pubkey: z.string(), status: RecipientStatus })),
  _reqId: z.string().optional(),
});
export type MessageStatusResult = z.infer<typeof MessageStatusResult>;

export const MemberEntry = z.object({
  memberId: z.string(),
  pubkey: z.string(),
  displayName: z.string(),
  role: MemberRole,
  online: z.boolean(),
  joinedAt: z.string(),
});
export type MemberEntry = z.infer<typeof MemberEntry>;

/** Any broker frame; the client validates the envelope and the shapes it relies on. */
export const BrokerFrameEnvelope = z.looseObject({ type: z.string(), _reqId: z.string().optional() });
export type BrokerFrameEnvelope = z.infer<typeof BrokerFrameEnvelope>;
