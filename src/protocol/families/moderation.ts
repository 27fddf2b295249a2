/** Moderation (protocol.md §2.9): disconnect, kick, ban, unban, list_bans, leave_mesh. */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { reqId } from "../fields.js";

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

/** Who to act on in `disconnect` / `kick`: a display name, member pubkey or prefix; or stale/all. */
export type ModerationTarget = Omit<z.infer<typeof DisconnectFrame>, "type" | "_reqId">;

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

export const moderationRequests = [
  DisconnectFrame,
  KickFrame,
  BanFrame,
  UnbanFrame,
  ListBansFrame,
  LeaveMeshFrame,
] as const;
type ModerationRequestType = z.infer<(typeof moderationRequests)[number]>["type"];

export const moderationReplies = {
  disconnect: DisconnectAck,
  kick: KickAck,
  ban: BanAck,
  unban: UnbanAck,
  list_bans: ListBansReply,
  leave_mesh: LeaveMeshAck,
} as const satisfies ReplyTable<ModerationRequestType>;
