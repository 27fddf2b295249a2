/** Shapes of the broker replies the client's typed requests rely on (protocol.md §2.9, §3.5, §4.11). */
import { z } from "zod";

import { MemberEntry, MessageStatusResult, PeerEntry } from "../protocol/frames.js";

export const OkReply = z.object({ type: z.literal("ok") });

export const PeersListReply = z.object({ type: z.literal("peers_list"), peers: z.array(PeerEntry) });
export const MembersListReply = z.object({ type: z.literal("members_list"), members: z.array(MemberEntry) });
export const MessageStatusReply = MessageStatusResult;

export const DisconnectAck = z.object({
  type: z.literal("disconnect_ack"),
  kicked: z.array(z.string()),
  affected: z.array(z.string()),
});
export type DisconnectAck = z.infer<typeof DisconnectAck>;

export const KickAck = z.object({
  type: z.literal("kick_ack"),
  kicked: z.array(z.string()),
  affected: z.array(z.string()),
  skipped_control_plane: z.array(z.string()).optional(),
});
export type KickAck = z.infer<typeof KickAck>;

export const BanAck = z.object({ type: z.literal("ban_ack"), banned: z.string() });
export type BanAck = z.infer<typeof BanAck>;

export const UnbanAck = z.object({ type: z.literal("unban_ack"), unbanned: z.string() });
export type UnbanAck = z.infer<typeof UnbanAck>;

export const BanEntry = z.object({ name: z.string(), pubkey: z.string(), revokedAt: z.string() });
export type BanEntry = z.infer<typeof BanEntry>;
export const ListBansReply = z.object({ type: z.literal("list_bans_result"), bans: z.array(BanEntry) });

export const LeaveMeshAck = z.object({ type: z.literal("leave_mesh_ack"), memberId: z.string() });
export type LeaveMeshAck = z.infer<typeof LeaveMeshAck>;

/** Who to act on in `disconnect` / `kick`: a display name, member pubkey or prefix; or stale/all. */
export type ModerationTarget = { target?: string; stale?: number; all?: boolean };
