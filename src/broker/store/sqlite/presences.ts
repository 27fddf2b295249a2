import type { PeerRole, PresenceStatus, StatusSource } from "../../../protocol/index.js";
import type { PresencePatch, PresenceRow, PresenceStore } from "../port/index.js";
import type { SqliteContext } from "./db.js";
import { TurnBatch } from "./turn-batch.js";
import { GroupList, Profile, Stats, readJson, readNullableJson, writeNullableJson } from "./json.js";

interface PresenceDbRow {
  id: string;
  mesh_id: string;
  member_id: string;
  node_id: string;
  peer_role: PeerRole;
  session_pubkey: string | null;
  session_id: string;
  display_name: string;
  cwd: string;
  pid: number;
  hostname: string | null;
  peer_type: string | null;
  channel: string | null;
  model: string | null;
  groups: string;
  status: PresenceStatus;
  status_source: StatusSource;
  status_at: number;
  summary: string | null;
  stats: string | null;
  visible: number;
  profile: string | null;
  connected_at: number;
  last_ping_at: number;
  lease: "online" | "offline";
  disconnected_at: number | null;
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

function toPresence(row: PresenceDbRow): PresenceRow {
  return {
    id: row.id,
    meshId: row.mesh_id,
    memberId: row.member_id,
    nodeId: row.node_id,
    peerRole: row.peer_role,
    sessionPubkey: row.session_pubkey,
    sessionId: row.session_id,
    displayName: row.display_name,
    cwd: row.cwd,
    pid: row.pid,
    hostname: row.hostname,
    peerType: row.peer_type,
    channel: row.channel,
    model: row.model,
    groups: readJson(row.groups, GroupList),
    status: row.status,
    statusSource: row.status_source,
    statusAt: row.status_at,
    summary: row.summary,
    stats: readNullableJson(row.stats, Stats),
    visible: row.visible === 1,
    profile: readNullableJson(row.profile, Profile),
    connectedAt: row.connected_at,
    lastPingAt: row.last_ping_at,
    lease: row.lease,
    disconnectedAt: row.disconnected_at,
  };
}

function presenceParams(p: PresenceRow): PresenceDbRow {
  return {
    id: p.id,
    mesh_id: p.meshId,
    member_id: p.memberId,
    node_id: p.nodeId,
    peer_role: p.peerRole,
    session_pubkey: p.sessionPubkey,
    session_id: p.sessionId,
    display_name: p.displayName,
    cwd: p.cwd,
    pid: p.pid,
    hostname: p.hostname,
    peer_type: p.peerType,
    channel: p.channel,
    model: p.model,
    groups: JSON.stringify(p.groups),
    status: p.status,
    status_source: p.statusSource,
    status_at: p.statusAt,
    summary: p.summary,
    stats: writeNullableJson(p.stats),
    visible: p.visible ? 1 : 0,
    profile: writeNullableJson(p.profile),
    connected_at: p.connectedAt,
    last_ping_at: p.lastPingAt,
    lease: p.lease,
    disconnected_at: p.disconnectedAt,
  };
}

/** Columns `updatePresence` may change; a patch binds `set_<column>` (0/1) and `<column>` for each. */
const PATCH_COLUMNS = [
  "groups",
  "status",
  "status_source",
  "status_at",
  "summary",
  "stats",
  "visible",
  "profile",
  "lease",
  "last_ping_at",
  "node_id",
  "display_name",
] as const;

type PatchColumn = (typeof PATCH_COLUMNS)[number];
type ColumnValue = string | number | null;
type PatchParams = Record<string, ColumnValue>;

/** The column value of every field present in `patch`; undefined = leave the column alone. */
function patchValues(patch: PresencePatch): Record<PatchColumn, ColumnValue | undefined> {
  const json = (value: unknown) => (value === undefined ? undefined : writeNullableJson(value));
  return {
    groups: json(patch.groups),
    status: patch.status,
    status_source: patch.statusSource,
    status_at: patch.statusAt,
    summary: patch.summary,
    stats: json(patch.stats),
    visible: patch.visible === undefined ? undefined : patch.visible ? 1 : 0,
    profile: json(patch.profile),
    lease: patch.lease,
    last_ping_at: patch.lastPingAt,
    node_id: patch.nodeId,
    display_name: patch.displayName,
  };
}

function patchParams(presenceId: string, patch: PresencePatch): PatchParams {
  const values = patchValues(patch);
  const params: PatchParams = { id: presenceId };
  for (const column of PATCH_COLUMNS) {
    const value = values[column];
    params[`set_${column}`] = value === undefined ? 0 : 1;
    params[column] = value ?? null;
  }
  return params;
}

/** Presence rows shared by every node (protocol.md §3.1-§3.2). */
export function presenceMethods(ctx: SqliteContext): PresenceStore {
  const q = ctx.statements((db) => {
    const columns = PRESENCE_COLUMNS.join(", ");
    const values = PRESENCE_COLUMNS.map((c) => `@${c}`).join(", ");
    const updates = PRESENCE_COLUMNS.filter((c) => c !== "id")
      .map((c) => `${c} = excluded.${c}`)
      .join(", ");
    // One statement for every patch shape: each column keeps its value unless its set_ flag is 1.
    const patchSets = PATCH_COLUMNS.map(
      (c) => `${c} = CASE WHEN @set_${c} = 1 THEN @${c} ELSE ${c} END`,
    ).join(", ");
    const touch = db.prepare<[number, string]>("UPDATE presences SET last_ping_at = ? WHERE id = ?");
    return {
      upsertAll: (() => {
        const upsert = db.prepare<PresenceDbRow>(
          `INSERT INTO presences (${columns}) VALUES (${values}) ON CONFLICT (id) DO UPDATE SET ${updates}`,
        );
        return ctx.atomic((rows: PresenceDbRow[]): null[] => rows.map((row) => (upsert.run(row), null)));
      })(),
      update: db.prepare<PatchParams>(`UPDATE presences SET ${patchSets} WHERE id = @id`),
      touchAll: ctx.atomic((ids: string[], at: number) => {
        for (const id of ids) touch.run(at, id);
      }),
      disconnect: db.prepare<{ at: number; id: string; node: string | null; before: number | null }>(
        `UPDATE presences SET disconnected_at = @at WHERE id = @id AND disconnected_at IS NULL
           AND (@node IS NULL OR node_id = @node) AND (@before IS NULL OR last_ping_at < @before)`,
      ),
      ofMembers: db.prepare<[string, string], PresenceDbRow>(
        `SELECT ${columns} FROM presences
         WHERE member_id IN (SELECT value FROM json_each(?)) AND mesh_id = ? AND disconnected_at IS NULL
         ORDER BY connected_at, id`,
      ),
      bySession: db.prepare<[string, string], PresenceDbRow>(
        `SELECT ${columns} FROM presences
         WHERE mesh_id = ? AND session_pubkey = ? AND disconnected_at IS NULL
         ORDER BY connected_at DESC LIMIT 1`,
      ),
      stale: db.prepare<[number, number], PresenceDbRow>(
        `SELECT ${columns} FROM presences WHERE disconnected_at IS NULL AND last_ping_at < ?
         ORDER BY last_ping_at LIMIT ?`,
      ),
      // Claims held by the node's presences are void (their sockets are gone): released first, so a
      // recipient reconnecting right after a crash is not kept waiting for the lease.
      disconnectNode: (() => {
        const release = db.prepare<[string]>(
          `UPDATE deliveries SET state = 'pending', claim_presence_id = NULL, claim_expires_at = NULL, next_offer_at = 0
           WHERE state = 'claimed' AND claim_presence_id IN
             (SELECT id FROM presences WHERE node_id = ? AND disconnected_at IS NULL)`,
        );
        const mark = db.prepare<[number, string]>(
          "UPDATE presences SET disconnected_at = ? WHERE node_id = ? AND disconnected_at IS NULL",
        );
        return ctx.atomic((at: number, nodeId: string) => {
          release.run(nodeId);
          return mark.run(at, nodeId);
        });
      })(),
      list: db.prepare<[string], PresenceDbRow>(
        `SELECT ${columns} FROM presences WHERE mesh_id = ? AND disconnected_at IS NULL
         ORDER BY connected_at, id`,
      ),
      // The partial index on (mesh_id, connected_at) walks the order; `id` only breaks ties.
      page: db.prepare<
        { mesh: string; viewer: string; at: number; id: string; limit: number },
        PresenceDbRow
      >(
        `SELECT ${columns} FROM presences
         WHERE mesh_id = @mesh AND disconnected_at IS NULL AND connected_at >= @at
           AND (connected_at > @at OR id > @id) AND (visible = 1 OR member_id = @viewer)
         ORDER BY connected_at, id LIMIT @limit`,
      ),
      count: db
        .prepare<[string], number>(
          "SELECT COUNT(*) FROM presences WHERE mesh_id = ? AND disconnected_at IS NULL",
        )
        .pluck(),
    };
  });

  // Every hello writes its presence: a burst of them shares one transaction.
  const upserts = new TurnBatch<PresenceDbRow, null>((rows) => q().upsertAll(rows));

  return {
    async upsertPresence(row) {
      await upserts.add(presenceParams(row));
    },
    async updatePresence(presenceId, patch) {
      q().update.run(patchParams(presenceId, patch));
    },
    async touchPresences(presenceIds, at) {
      if (presenceIds.length > 0) q().touchAll(presenceIds, at);
    },
    async markPresenceDisconnected(presenceId, at, guard) {
      const params = {
        at,
        id: presenceId,
        node: guard?.nodeId ?? null,
        before: guard?.lastPingBefore ?? null,
      };
      return q().disconnect.run(params).changes > 0;
    },
    async presencesOfMembers(meshId, memberIds) {
      if (memberIds.length === 0) return [];
      return q().ofMembers.all(JSON.stringify(memberIds), meshId).map(toPresence);
    },
    async presenceBySession(meshId, sessionPubkey) {
      const row = q().bySession.get(meshId, sessionPubkey);
      return row ? toPresence(row) : null;
    },
    async stalePresences(before, limit) {
      return q().stale.all(before, limit).map(toPresence);
    },
    async disconnectNodePresences(nodeId, at) {
      return q().disconnectNode(at, nodeId).changes;
    },
    async listPresences(meshId) {
      return q().list.all(meshId).map(toPresence);
    },
    async pagePresences(meshId, { viewerMemberId, after, limit }) {
      const at = after?.connectedAt ?? -1;
      const rows = q().page.all({ mesh: meshId, viewer: viewerMemberId, at, id: after?.id ?? "", limit });
      return rows.map(toPresence);
    },
    async countPresences(meshId) {
      return q().count.get(meshId) ?? 0;
    },
  };
}
