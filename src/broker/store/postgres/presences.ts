import type { PeerRole, PresenceStatus, StatusSource } from "../../../protocol/index.js";
import { GroupList, Profile, Stats } from "../json-schemas.js";
import type { PresencePatch, PresenceRow, PresenceStore } from "../port/index.js";
import { columnList, type PgContext } from "./db.js";
import { jsonb } from "./members.js";

interface PresenceDbRow extends Omit<PresenceRow, "groups" | "stats" | "profile"> {
  peerRole: PeerRole;
  status: PresenceStatus;
  statusSource: StatusSource;
  groups: unknown;
  stats: unknown;
  profile: unknown;
}

const PRESENCE_COLUMNS = [
  "id",
  "mesh_id",
  "member_id",
  "node_id",
  "peer_role",
  "session_pubkey",
  "session_id",
  "display_name",
  "cwd",
  "pid",
  "hostname",
  "peer_type",
  "channel",
  "model",
  "groups",
  "status",
  "status_source",
  "status_at",
  "summary",
  "stats",
  "visible",
  "profile",
  "connected_at",
  "last_ping_at",
  "lease",
  "disconnected_at",
] as const;
const PRESENCE_LIST = columnList(PRESENCE_COLUMNS);

function toPresence(row: PresenceDbRow): PresenceRow {
  return {
    id: row.id,
    meshId: row.meshId,
    memberId: row.memberId,
    nodeId: row.nodeId,
    peerRole: row.peerRole,
    sessionPubkey: row.sessionPubkey,
    sessionId: row.sessionId,
    displayName: row.displayName,
    cwd: row.cwd,
    pid: row.pid,
    hostname: row.hostname,
    peerType: row.peerType,
    channel: row.channel,
    model: row.model,
    groups: GroupList.parse(row.groups),
    status: row.status,
    statusSource: row.statusSource,
    statusAt: row.statusAt,
    summary: row.summary,
    stats: row.stats === null ? null : Stats.parse(row.stats),
    visible: row.visible,
    profile: row.profile === null ? null : Profile.parse(row.profile),
    connectedAt: row.connectedAt,
    lastPingAt: row.lastPingAt,
    lease: row.lease,
    disconnectedAt: row.disconnectedAt,
  };
}

const UPSERT_UPDATES = PRESENCE_COLUMNS.filter((c) => c !== "id")
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(", ");

/** Presence rows shared by every node (protocol.md §3.1-§3.2). */
export function presenceMethods(ctx: PgContext): PresenceStore {
  return {
    async upsertPresence(p) {
      await ctx.inOrder(
        p.id,
        false,
        (db) => db`
          INSERT INTO presences (${db.unsafe(PRESENCE_LIST)})
          VALUES (${p.id}, ${p.meshId}, ${p.memberId}, ${p.nodeId}, ${p.peerRole}, ${p.sessionPubkey},
                  ${p.sessionId}, ${p.displayName}, ${p.cwd}, ${p.pid}, ${p.hostname}, ${p.peerType},
                  ${p.channel}, ${p.model}, ${jsonb(db, p.groups)}, ${p.status}, ${p.statusSource},
                  ${p.statusAt}, ${p.summary}, ${jsonb(db, p.stats)}, ${p.visible}, ${jsonb(db, p.profile)},
                  ${p.connectedAt}, ${p.lastPingAt}, ${p.lease}, ${p.disconnectedAt})
          ON CONFLICT (id) DO UPDATE SET ${db.unsafe(UPSERT_UPDATES)}`,
      );
    },
    async updatePresence(presenceId, patch) {
      // One statement for every patch shape: each column keeps its value unless its field is present.
      const set = (field: keyof PresencePatch) => field in patch && patch[field] !== undefined;
      await ctx.inOrder(
        presenceId,
        false,
        (db) => db`
          UPDATE presences SET
            groups = CASE WHEN ${set("groups")} THEN ${jsonb(db, patch.groups)} ELSE groups END,
            status = CASE WHEN ${set("status")} THEN ${patch.status ?? null} ELSE status END,
            status_source = CASE WHEN ${set("statusSource")} THEN ${patch.statusSource ?? null}
                            ELSE status_source END,
            status_at = CASE WHEN ${set("statusAt")} THEN ${patch.statusAt ?? null} ELSE status_at END,
            summary = CASE WHEN ${set("summary")} THEN ${patch.summary ?? null} ELSE summary END,
            stats = CASE WHEN ${set("stats")} THEN ${jsonb(db, patch.stats)} ELSE stats END,
            visible = CASE WHEN ${set("visible")} THEN ${patch.visible ?? null} ELSE visible END,
            profile = CASE WHEN ${set("profile")} THEN ${jsonb(db, patch.profile)} ELSE profile END,
            lease = CASE WHEN ${set("lease")} THEN ${patch.lease ?? null} ELSE lease END,
            last_ping_at = CASE WHEN ${set("lastPingAt")} THEN ${patch.lastPingAt ?? null} ELSE last_ping_at END,
            node_id = CASE WHEN ${set("nodeId")} THEN ${patch.nodeId ?? null} ELSE node_id END,
            display_name = CASE WHEN ${set("displayName")} THEN ${patch.displayName ?? null}
                           ELSE display_name END
          WHERE id = ${presenceId}`,
      );
    },
    async touchPresences(presenceIds, at) {
      if (presenceIds.length === 0) return;
      await ctx.run(
        false,
        (db) => db`UPDATE presences SET last_ping_at = ${at} WHERE id = ANY(${presenceIds}::text[])`,
      );
    },
    async markPresenceDisconnected(presenceId, at, guard) {
      const node = guard?.nodeId ?? null;
      const before = guard?.lastPingBefore ?? null;
      const marked = await ctx.inOrder(
        presenceId,
        false,
        (db) => db`
          UPDATE presences SET disconnected_at = ${at} WHERE id = ${presenceId} AND disconnected_at IS NULL
            AND (${node}::text IS NULL OR node_id = ${node}::text)
            AND (${before}::bigint IS NULL OR last_ping_at < ${before}::bigint)`,
      );
      return marked.count > 0;
    },
    async presencesOfMembers(meshId, memberIds) {
      if (memberIds.length === 0) return [];
      const rows = await ctx.run(
        false,
        (db) => db<PresenceDbRow[]>`
          SELECT ${db.unsafe(PRESENCE_LIST)} FROM presences
          WHERE member_id = ANY(${memberIds as string[]}::text[]) AND mesh_id = ${meshId}
            AND disconnected_at IS NULL
          ORDER BY connected_at, id`,
      );
      return rows.map(toPresence);
    },
    async presenceBySession(meshId, sessionPubkey) {
      const [row] = await ctx.run(
        false,
        (db) => db<PresenceDbRow[]>`
          SELECT ${db.unsafe(PRESENCE_LIST)} FROM presences
          WHERE mesh_id = ${meshId} AND session_pubkey = ${sessionPubkey} AND disconnected_at IS NULL
          ORDER BY connected_at DESC LIMIT 1`,
      );
      return row ? toPresence(row) : null;
    },
    async stalePresences(before, limit) {
      const rows = await ctx.run(
        false,
        (db) => db<PresenceDbRow[]>`
          SELECT ${db.unsafe(PRESENCE_LIST)} FROM presences WHERE disconnected_at IS NULL AND last_ping_at < ${before}
          ORDER BY last_ping_at LIMIT ${limit}`,
      );
      return rows.map(toPresence);
    },
    async disconnectNodePresences(nodeId, at) {
      return ctx.run(true, async (db) => {
        // Claims held by the node's presences are void (their sockets are gone): released first, so a
        // recipient reconnecting right after a crash is not kept waiting for the lease.
        await db`
          UPDATE deliveries SET state = 'pending', claim_presence_id = NULL, claim_expires_at = NULL,
            next_offer_at = 0
          WHERE state = 'claimed' AND claim_presence_id IN
            (SELECT id FROM presences WHERE node_id = ${nodeId} AND disconnected_at IS NULL)`;
        const marked = await db`
          UPDATE presences SET disconnected_at = ${at} WHERE node_id = ${nodeId} AND disconnected_at IS NULL`;
        return marked.count;
      });
    },
    async listPresences(meshId) {
      const rows = await ctx.run(
        false,
        (db) => db<PresenceDbRow[]>`
          SELECT ${db.unsafe(PRESENCE_LIST)} FROM presences WHERE mesh_id = ${meshId} AND disconnected_at IS NULL
          ORDER BY connected_at, id`,
      );
      return rows.map(toPresence);
    },
    async pagePresences(meshId, { viewerMemberId, after, limit }) {
      const at = after?.connectedAt ?? -1;
      const rows = await ctx.run(
        false,
        (db) => db<PresenceDbRow[]>`
          SELECT ${db.unsafe(PRESENCE_LIST)} FROM presences
          WHERE mesh_id = ${meshId} AND disconnected_at IS NULL
            AND (connected_at, id) > (${at}::bigint, ${after?.id ?? ""}::text)
            AND (visible OR member_id = ${viewerMemberId})
          ORDER BY connected_at, id LIMIT ${limit}`,
      );
      return rows.map(toPresence);
    },
    async countPresences(meshId) {
      const [row] = await ctx.run(
        false,
        (db) => db<{ n: number }[]>`
          SELECT COUNT(*) AS n FROM presences WHERE mesh_id = ${meshId} AND disconnected_at IS NULL`,
      );
      return row?.n ?? 0;
    },
  };
}
