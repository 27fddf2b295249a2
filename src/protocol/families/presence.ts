/**
 * Presence (protocol.md §3): status, summary, stats, visibility, profile, groups, the peer and member
 * listings, and `bye`.
 */
import { z } from "zod";
import { NoReply, OkReply, type ReplyTable } from "../envelope.js";
import { GroupRef, MemberRole, PeerRole, PresenceStatus, StatusSource, reqId } from "../fields.js";
import { AckFrame } from "./messaging.js";

export const Stats = z.object({
  messagesIn: z.number().optional(),
  messagesOut: z.number().optional(),
  toolCalls: z.number().optional(),
  uptime: z.number().optional(),
  errors: z.number().optional(),
});
export type Stats = z.infer<typeof Stats>;

export const Profile = z.object({
  avatar: z.string().max(2048).optional(),
  title: z.string().max(256).optional(),
  bio: z.string().max(2048).optional(),
  capabilities: z.array(z.string().max(128)).max(64).optional(),
});
export type Profile = z.infer<typeof Profile>;

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
export const SetStatsFrame = z.object({ type: z.literal("set_stats"), stats: Stats, _reqId: reqId });
export const SetVisibleFrame = z.object({
  type: z.literal("set_visible"),
  visible: z.boolean(),
  _reqId: reqId,
});
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
export const ByeFrame = z.object({ type: z.literal("bye"), _reqId: reqId });

export const PeerEntry = z.object({
  pubkey: z.string(),
  memberPubkey: z.string(),
  displayName: z.string(),
  status: PresenceStatus,
  summary: z.string().nullable(),
  groups: z.array(GroupRef),
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

export const MemberEntry = z.object({
  memberId: z.string(),
  pubkey: z.string(),
  displayName: z.string(),
  role: MemberRole,
  online: z.boolean(),
  joinedAt: z.string(),
});
export type MemberEntry = z.infer<typeof MemberEntry>;

export const PeersListReply = z.object({ type: z.literal("peers_list"), peers: z.array(PeerEntry) });
export const MembersListReply = z.object({ type: z.literal("members_list"), members: z.array(MemberEntry) });

export const presenceRequests = [
  SetStatusFrame,
  SetSummaryFrame,
  SetStatsFrame,
  SetVisibleFrame,
  SetProfileFrame,
  JoinGroupFrame,
  LeaveGroupFrame,
  ListPeersFrame,
  ListMembersFrame,
  ByeFrame,
] as const;
type PresenceRequestType = z.infer<(typeof presenceRequests)[number]>["type"];

export const presenceReplies = {
  // Fire-and-forget (§1.9): `ok` only for connections that asked for it.
  set_status: OkReply,
  set_summary: OkReply,
  set_stats: OkReply,
  join_group: OkReply,
  leave_group: OkReply,
  // The reference answered these two with an `ack` shape; kept for compatibility (§3.4).
  set_visible: AckFrame,
  set_profile: AckFrame,
  list_peers: PeersListReply,
  list_members: MembersListReply,
  bye: NoReply,
} as const satisfies ReplyTable<PresenceRequestType>;
