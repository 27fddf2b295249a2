/** Presence family: status, summary, stats, visibility, profile, groups, listings, bye (protocol.md §3). */
import {
  ErrorCode,
  MAX_GROUPS_PER_PRESENCE,
  SUMMARY_MAX_CHARS,
  groupNameProblem,
} from "../../protocol/index.js";
import { toPeerEntry } from "../presence/presence.js";
import type { BrokerContext } from "../context.js";
import type { PresencePosition, PresenceRow } from "../store/port/index.js";
import type { HandlerTable } from "./types.js";

type PresenceHandlers = Pick<
  HandlerTable,
  | "set_status"
  | "set_summary"
  | "set_stats"
  | "set_visible"
  | "set_profile"
  | "join_group"
  | "leave_group"
  | "list_peers"
  | "list_members"
  | "bye"
>;

export const presenceHandlers: PresenceHandlers = {
  async set_status({ ctx, conn, presence }, frame) {
    await ctx.presence.setStatus(presence, frame.status, frame.source ?? "manual");
    conn.ok(frame);
  },

  async set_summary({ ctx, conn, presence }, frame) {
    presence.summary = frame.summary.slice(0, SUMMARY_MAX_CHARS);
    await ctx.store.updatePresence(presence.id, { summary: presence.summary });
    await ctx.presence.saveState(presence);
    conn.ok(frame);
  },

  async set_stats({ ctx, conn, presence }, frame) {
    presence.stats = frame.stats;
    await ctx.store.updatePresence(presence.id, { stats: frame.stats });
    conn.ok(frame);
  },

  async set_visible({ ctx, conn, presence }, frame) {
    const changed = presence.visible !== frame.visible;
    presence.visible = frame.visible;
    await ctx.store.updatePresence(presence.id, { visible: frame.visible });
    await ctx.presence.saveState(presence);
    conn.reply(frame, { type: "ack", id: frame._reqId ?? "", messageId: "", queued: false });
    if (!changed) return;
    ctx.presence.announceVisibility(presence, frame.visible);
    if (frame.visible) ctx.delivery.offer(presence);
  },

  async set_profile({ ctx, conn, presence }, frame) {
    const { type: _type, _reqId, ...profile } = frame;
    presence.profile = { ...presence.profile, ...profile };
    await ctx.store.updatePresence(presence.id, { profile: presence.profile });
    await ctx.presence.saveState(presence);
    conn.reply(frame, { type: "ack", id: _reqId ?? "", messageId: "", queued: false });
  },

  async join_group({ ctx, conn, presence }, frame) {
    const problem = frame.name === "all" ? "`all` is reserved" : groupNameProblem(frame.name);
    if (problem) {
      conn.error(frame, ErrorCode.invalidGroupName, `group name ${problem}`);
      return;
    }
    const rest = presence.groups.filter((g) => g.name !== frame.name);
    if (rest.length >= MAX_GROUPS_PER_PRESENCE) {
      conn.error(
        frame,
        ErrorCode.limit,
        `a connection may be in at most ${MAX_GROUPS_PER_PRESENCE} groups: leave one first`,
      );
      return;
    }
    presence.groups = [...rest, frame.role ? { name: frame.name, role: frame.role } : { name: frame.name }];
    await ctx.store.updatePresence(presence.id, { groups: presence.groups });
    await ctx.presence.saveState(presence);
    conn.ok(frame);
  },

  async leave_group({ ctx, conn, presence }, frame) {
    presence.groups = presence.groups.filter((g) => g.name !== frame.name);
    await ctx.store.updatePresence(presence.id, { groups: presence.groups });
    await ctx.presence.saveState(presence);
    conn.ok(frame);
  },

  async list_peers({ ctx, conn, presence }, frame) {
    if (frame.limit === undefined) {
      // The reference's whole list (§3.5): every visible presence at once.
      const rows = await ctx.store.listPresences(presence.meshId);
      const members = await ctx.store.listMembers(presence.meshId, { includeRevoked: true });
      const pubkeys = new Map(members.map((m) => [m.id, m.pubkey]));
      const peers = rows
        .filter((r) => r.visible || r.memberId === presence.memberId)
        .map((r) => {
          const live = ctx.registry.get(r.id);
          return toPeerEntry(live ?? r, pubkeys.get(r.memberId) ?? "");
        });
      conn.reply(frame, { type: "peers_list", peers });
      return;
    }
    const after = frame.cursor === undefined ? null : parseCursor(frame.cursor);
    if (after === undefined) {
      conn.error(frame, ErrorCode.invalidMessage, "cursor: not a cursor this broker gave out");
      return;
    }
    const rows = await ctx.store.pagePresences(presence.meshId, {
      viewerMemberId: presence.memberId,
      after,
      limit: frame.limit,
    });
    const peers = [];
    for (const r of rows) {
      const live = ctx.registry.get(r.id);
      peers.push(toPeerEntry(live ?? r, live?.memberPubkey ?? (await memberPubkey(ctx, r))));
    }
    const last = rows.at(-1);
    const nextCursor = rows.length === frame.limit && last ? formatCursor(last) : null;
    conn.reply(frame, { type: "peers_list", peers, nextCursor });
  },

  async list_members({ ctx, conn, presence }, frame) {
    const members = await ctx.store.listMembers(presence.meshId);
    const online = new Set((await ctx.store.listPresences(presence.meshId)).map((r) => r.memberId));
    conn.reply(frame, {
      type: "members_list",
      members: members.map((m) => ({
        memberId: m.id,
        pubkey: m.pubkey,
        displayName: m.displayName,
        role: m.role,
        online: online.has(m.id),
        joinedAt: new Date(m.joinedAt).toISOString(),
      })),
    });
  },

  bye({ conn }) {
    conn.markBye();
    conn.close(1000, "bye");
  },
};

/** A `list_peers` cursor: the last row's position, opaque to clients (§3.5). */
function formatCursor(row: PresencePosition): string {
  return Buffer.from(`${row.connectedAt}:${row.id}`).toString("base64url");
}

/** The position a cursor names; undefined for anything this broker did not hand out. */
function parseCursor(cursor: string): PresencePosition | undefined {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const colon = text.indexOf(":");
  const connectedAt = Number(text.slice(0, colon));
  const id = text.slice(colon + 1);
  if (colon <= 0 || !Number.isSafeInteger(connectedAt) || id === "") return undefined;
  return { connectedAt, id };
}

/** A presence row's member key: the member cache first, the store for members it does not hold. */
async function memberPubkey(ctx: BrokerContext, row: PresenceRow): Promise<string> {
  const cached = await ctx.members.byId(row.meshId, row.memberId);
  return cached?.pubkey ?? (await ctx.store.getMember(row.memberId))?.pubkey ?? "";
}
