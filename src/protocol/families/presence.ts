/**
 * Presence (protocol.md §3): status, summary, stats, visibility, profile, groups, the peer and member
 * listings, and `bye`.
 */
import { z } from "zod";
import { NoReply, OkReply, type ReplyTable } from "../envelope.js";
import { GroupRef, MemberRole, PeerRole, PresenceStatus, StatusSource, reqId } from "../fields.js";
import { GROUP_ROLE_MAX_CHARS, LIST_PEERS_MAX_LIMIT } from "../constants.js";
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
  role: z.string().max(GROUP_ROLE_MAX_CHARS).optional(),
  _reqId: reqId,
});
export const LeaveGroupFrame = z.object({ type: z.literal("leave_group"), name: z.string(), _reqId: reqId });
/** `limit` asks for one page (§3.5); without it the whole list comes back, as in the reference. */
export const ListPeersFrame = z.object({
  type: z.literal("list_peers"),
  limit: z.number().int().min(1).max(LIST_PEERS_MAX_LIMIT).optional(),
  cursor: z.string().max(256).optional(),
  _reqId: reqId,
});
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

export const PeersListReply = z.object({
  type: z.literal("peers_list"),
  peers: z.array(PeerEntry),
  /** Paged requests only: pass it back as `cursor` for the next page; null at the end. */
  nextCursor: z.string().nullable().optional(),
});

/** Presence events a system push can carry, alone or inside `peer_events` (§3.6). */
export const PEER_EVENT_NAMES = [
  "peer_joined",
  "peer_returned",
  "peer_left",
  "peer_visible",
  "peer_hidden",
] as const;
export type PeerEventName = (typeof PEER_EVENT_NAMES)[number];

/** One event inside `peer_events`: the event name next to the `eventData` it would have had alone. */
export const CoalescedPeerEvent = z
  .object({
    event: z.enum(PEER_EVENT_NAMES),
    name: z.string(),
    pubkey: z.string(),
    memberPubkey: z.string().optional(),
    peerRole: PeerRole.optional(),
  })
  .passthrough();
export type CoalescedPeerEvent = z.infer<typeof CoalescedPeerEvent>;

/** `eventData` of a `peer_events` system push: the first events of the tick and how many did not fit. */
export const PeerEventsData = z.object({
  events: z.array(CoalescedPeerEvent),
  omitted: z.number().int().min(0),
});
export type PeerEventsData = z.infer<typeof PeerEventsData>;
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
