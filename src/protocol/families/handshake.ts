/**
 * The handshake (protocol.md §2.3-§2.7): `hello` and `session_hello`, answered by `hello_ack`. These two
 * run before a presence exists, so they are not in the post-hello `ClientFrame` union.
 */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { MAX_GROUPS_PER_PRESENCE } from "../constants.js";
import { GroupRef, MessageMode, capabilities, reqId, replyReqId } from "../fields.js";

/** Fields both hello kinds share. Signature fields are validated by the handshake, in protocol order. */
const helloCommon = {
  meshId: z.string().min(1).max(128),
  // Not checked against names a send cannot address (§7.4): a member who took one before that rule must
  // still be let in; new names are refused where they are taken (invite claim, mesh create, our clients).
  displayName: z.string().max(64).optional(),
  sessionId: z.string().max(256).optional(),
  pid: z.number().int().nonnegative().optional(),
  cwd: z.string().max(4096).optional(),
  hostname: z.string().max(256).optional(),
  peerType: z.enum(["ai", "human", "connector"]).optional(),
  channel: z.string().max(64).optional(),
  model: z.string().max(128).optional(),
  groups: z.array(GroupRef).max(MAX_GROUPS_PER_PRESENCE).optional(),
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

export const HELLO_TYPES = new Set(["hello", "session_hello"]);

export const HelloAck = z.object({
  type: z.literal("hello_ack"),
  presenceId: z.string(),
  memberDisplayName: z.string(),
  memberProfile: z
    .object({
      roleTag: z.string().nullable().optional(),
      groups: z.array(GroupRef),
      messageMode: MessageMode,
    })
    .optional(),
  restored: z.boolean().optional(),
  lastSummary: z.string().nullable().optional(),
  lastSeenAt: z.string().nullable().optional(),
  restoredGroups: z.array(GroupRef).optional(),
  /** Cumulative stats of the member's earlier control-plane presences. */
  restoredStats: z
    .object({ messagesIn: z.number(), messagesOut: z.number(), toolCalls: z.number(), errors: z.number() })
    .optional(),
  services: z.array(z.unknown()).optional(),
  protocolVersion: z.number().optional(),
  features: z.array(z.string()).optional(),
  serverTime: z.number().optional(),
  _reqId: replyReqId,
});
export type HelloAck = z.infer<typeof HelloAck>;

export const handshakeRequests = [HelloFrame, SessionHelloFrame] as const;
type HandshakeRequestType = z.infer<(typeof handshakeRequests)[number]>["type"];

export const handshakeReplies = {
  hello: HelloAck,
  session_hello: HelloAck,
} as const satisfies ReplyTable<HandshakeRequestType>;
