/** Moderation (protocol.md §2.9): disconnect, kick, ban, unban, list_bans, leave_mesh. */
import { CloseCode, CloseReason, ErrorCode } from "../../protocol/index.js";
import type { AuditAction } from "../../protocol/index.js";
import { appendAudit, auditEntry, withAudit, type AuditActor } from "../audit.js";
import type { BrokerContext } from "../context.js";
import { routableKey, type Presence } from "../presence/presence.js";
import type { MemberRow } from "../store/port/index.js";
import { LEFT_REVOKE_REASON } from "../store/port/members.js";
import type { HandlerArgs, HandlerTable, ReplyPayload } from "./types.js";

type ModerationHandlers = Pick<
  HandlerTable,
  "disconnect" | "kick" | "ban" | "unban" | "list_bans" | "leave_mesh"
>;

function actor(p: Presence): AuditActor {
  return { actorPubkey: p.memberPubkey, actorName: p.displayName };
}

function isModerator(p: Presence): boolean {
  return p.memberRole === "owner" || p.memberRole === "admin";
}

function forbidden(args: HandlerArgs, frame: { _reqId?: string }): boolean {
  if (isModerator(args.presence)) return false;
  args.conn.error(frame, ErrorCode.forbidden, "only the mesh owner or an admin may do this");
  return true;
}

/** What a moderation target is matched on, for a presence held here or a row held by another node. */
interface Target {
  id: string;
  displayName: string;
  memberPubkey: string;
  sessionPubkey: string | null;
  peerRole: Presence["peerRole"];
  lastSeenAt: number;
}

/** The presences a moderation names, held here or (in a cluster) by other nodes. */
interface Matched {
  here: Presence[];
  elsewhere: Target[];
}

/** Presences matched by a display name, a key, or a key prefix (never the caller's own socket). */
async function matchPresences(
  ctx: BrokerContext,
  caller: Presence,
  sel: { target?: string; stale?: number; all?: boolean },
): Promise<Matched> {
  const now = Date.now();
  const matches = (p: Target) => {
    if (p.id === caller.id) return false;
    if (sel.all) return true;
    if (sel.stale !== undefined && now - p.lastSeenAt < sel.stale) return false;
    if (!sel.target) return sel.stale !== undefined;
    const t = sel.target;
    const keyMatch = (k: string | null) =>
      k !== null && (k === t || (/^[0-9a-f]{4,63}$/.test(t) && k.startsWith(t)));
    return p.displayName === t || keyMatch(p.memberPubkey) || keyMatch(p.sessionPubkey);
  };
  const here = ctx.registry.inMesh(caller.meshId).filter((p) => matches({ ...p, lastSeenAt: p.lastPongAt }));
  const elsewhere: Target[] = [];
  if (ctx.cluster.shared) {
    for (const row of await ctx.store.listPresences(caller.meshId)) {
      if (row.nodeId === ctx.nodeId || ctx.registry.get(row.id)) continue;
      const memberPubkey = (await ctx.members.byId(caller.meshId, row.memberId))?.pubkey ?? "";
      const target = { ...row, memberPubkey, lastSeenAt: row.lastPingAt };
      if (matches(target)) elsewhere.push(target);
    }
  }
  return { here, elsewhere };
}

/** The key peers route to for a target (as `routableKey`). */
function targetKey(t: Target): string {
  return t.sessionPubkey ?? t.memberPubkey;
}

/** The member a ban/unban names: display name, member pubkey or prefix. */
async function matchMember(
  ctx: BrokerContext,
  meshId: string,
  target: string,
  revoked: boolean,
): Promise<MemberRow[]> {
  const members = await ctx.store.listMembers(meshId, { includeRevoked: true });
  const hexPrefix = /^[0-9a-f]{4,64}$/.test(target);
  return members.filter(
    (m) =>
      (m.revokedAt !== null) === revoked &&
      (m.displayName === target || m.pubkey === target || (hexPrefix && m.pubkey.startsWith(target))),
  );
}

async function revokeMember(
  ctx: BrokerContext,
  member: MemberRow,
  reason: string,
  closeReason: string,
  message: string,
  audit: { actor: AuditActor; action: AuditAction },
) {
  await withAudit(
    ctx,
    () => ctx.store.setMemberRevoked(member.id, Date.now(), reason),
    () => [auditEntry(member.meshId, audit.actor, audit.action, member.pubkey)],
  );
  await ctx.store.revokeDeliveries(member.id);
  ctx.members.invalidate(member.meshId);
  for (const p of ctx.registry.ofMember(member.id)) {
    p.socket?.send({ type: "error", code: ErrorCode.revoked, message });
    await ctx.presence.drop(p, CloseCode.banned, closeReason, { announce: true });
  }
  if (ctx.cluster.shared) {
    const rows = await ctx.store.presencesOfMembers(member.meshId, [member.id]);
    const presenceIds = rows.filter((r) => r.nodeId !== ctx.nodeId).map((r) => r.id);
    if (presenceIds.length > 0) {
      ctx.cluster.publish({
        kind: "drop",
        presenceIds,
        code: CloseCode.banned,
        reason: closeReason,
        revokedMessage: message,
        evict: true,
      });
    }
  }
}

/** Asks the nodes holding `targets` to close them (evicted at once, or into their grace). */
function dropElsewhere(ctx: BrokerContext, targets: Target[], code: number, reason: string, evict: boolean) {
  if (targets.length === 0) return;
  ctx.cluster.publish({
    kind: "drop",
    presenceIds: targets.map((t) => t.id),
    code,
    reason,
    revokedMessage: null,
    evict,
  });
}

export const moderationHandlers: ModerationHandlers = {
  async disconnect(args, frame) {
    if (forbidden(args, frame)) return;
    const { here, elsewhere } = await matchPresences(args.ctx, args.presence, frame);
    await appendAudit(args.ctx, [
      ...here.map((p) => auditEntry(p.meshId, actor(args.presence), "member.disconnected", routableKey(p))),
      ...elsewhere.map((t) =>
        auditEntry(args.presence.meshId, actor(args.presence), "member.disconnected", targetKey(t)),
      ),
    ]);
    for (const p of here) p.socket?.close(CloseCode.normal, CloseReason.disconnected);
    dropElsewhere(args.ctx, elsewhere, CloseCode.normal, CloseReason.disconnected, false);
    args.conn.reply(frame, {
      type: "disconnect_ack",
      kicked: [...here.map((p) => p.displayName), ...elsewhere.map((t) => t.displayName)],
      affected: [...here.map(routableKey), ...elsewhere.map(targetKey)],
    });
  },

  async kick(args, frame) {
    if (forbidden(args, frame)) return;
    const { here, elsewhere } = await matchPresences(args.ctx, args.presence, frame);
    const sessions = here.filter((p) => p.peerRole !== "control-plane");
    const remoteSessions = elsewhere.filter((t) => t.peerRole !== "control-plane");
    const skipped = [...here, ...elsewhere].filter((p) => p.peerRole === "control-plane");
    await appendAudit(args.ctx, [
      ...sessions.map((p) => auditEntry(p.meshId, actor(args.presence), "member.kicked", routableKey(p))),
      ...remoteSessions.map((t) =>
        auditEntry(args.presence.meshId, actor(args.presence), "member.kicked", targetKey(t)),
      ),
    ]);
    for (const p of sessions)
      await args.ctx.presence.drop(p, CloseCode.kicked, CloseReason.kicked, { announce: true });
    dropElsewhere(args.ctx, remoteSessions, CloseCode.kicked, CloseReason.kicked, true);
    const ack: ReplyPayload<"kick"> = {
      type: "kick_ack",
      kicked: [...sessions.map((p) => p.displayName), ...remoteSessions.map((t) => t.displayName)],
      affected: [...sessions.map(routableKey), ...remoteSessions.map(targetKey)],
    };
    if (skipped.length > 0) ack.skipped_control_plane = skipped.map((p) => p.displayName);
    args.conn.reply(frame, ack);
  },

  async ban({ ctx, conn, presence }, frame) {
    if (forbidden({ ctx, conn, presence }, frame)) return;
    if (!frame.target) {
      conn.error(frame, ErrorCode.invalid, "ban needs a target");
      return;
    }
    const found = await matchMember(ctx, presence.meshId, frame.target, false);
    if (found.length === 0) {
      conn.error(frame, ErrorCode.notFound, `no member matches "${frame.target}"`);
      return;
    }
    if (found.length > 1) {
      conn.error(frame, ErrorCode.invalid, `"${frame.target}" matches several members; use the full key`);
      return;
    }
    const member = found[0]!;
    if (member.id === presence.memberId) {
      conn.error(frame, ErrorCode.invalid, "you cannot ban yourself");
      return;
    }
    if (member.role === "owner") {
      conn.error(frame, ErrorCode.forbidden, "the mesh owner cannot be banned");
      return;
    }
    const mesh = await ctx.store.getMesh(presence.meshId);
    // Never recorded as the reason a member leaves with: that one lets an invite bring the key back.
    const reason =
      frame.reason === undefined || frame.reason === LEFT_REVOKE_REASON ? "banned" : frame.reason;
    await revokeMember(
      ctx,
      member,
      reason,
      CloseReason.banned,
      `You've been removed from "${mesh?.name ?? ""}". Contact the mesh owner to rejoin.`,
      { actor: actor(presence), action: "member.banned" },
    );
    conn.reply(frame, { type: "ban_ack", banned: member.displayName });
  },

  async unban({ ctx, conn, presence }, frame) {
    if (forbidden({ ctx, conn, presence }, frame)) return;
    const found = await matchMember(ctx, presence.meshId, frame.target, true);
    if (found.length !== 1) {
      conn.error(frame, ErrorCode.notFound, `no single banned member matches "${frame.target}"`);
      return;
    }
    const member = found[0]!;
    await withAudit(
      ctx,
      () => ctx.store.setMemberRevoked(member.id, null, null),
      () => [auditEntry(member.meshId, actor(presence), "member.unbanned", member.pubkey)],
    );
    ctx.members.invalidate(presence.meshId);
    conn.reply(frame, { type: "unban_ack", unbanned: found[0]!.displayName });
  },

  async list_bans({ ctx, conn, presence }, frame) {
    if (forbidden({ ctx, conn, presence }, frame)) return;
    const members = await ctx.store.listMembers(presence.meshId, { includeRevoked: true });
    conn.reply(frame, {
      type: "list_bans_result",
      bans: members
        .filter((m) => m.revokedAt !== null)
        .map((m) => ({
          name: m.displayName,
          pubkey: m.pubkey,
          revokedAt: new Date(m.revokedAt!).toISOString(),
        })),
    });
  },

  async leave_mesh({ ctx, conn, presence }, frame) {
    const members = await ctx.store.listMembers(presence.meshId);
    const owners = members.filter((m) => m.role === "owner");
    if (presence.memberRole === "owner" && owners.length <= 1) {
      conn.error(frame, ErrorCode.forbidden, "the only owner cannot leave the mesh");
      return;
    }
    conn.reply(frame, { type: "leave_mesh_ack", memberId: presence.memberId });
    const member = members.find((m) => m.id === presence.memberId);
    if (member)
      await revokeMember(ctx, member, LEFT_REVOKE_REASON, CloseReason.left, "You left this mesh.", {
        actor: actor(presence),
        action: "member.left",
      });
  },
};
