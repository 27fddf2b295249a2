import type { MemberRole } from "../../../protocol/index.js";
import type { MemberRow, MemberStore, MeshRow } from "../port/index.js";
import type { Statement } from "better-sqlite3";
import type { Db, SqliteContext } from "./db.js";
import { GroupList, SavedStateSchema, readJson, readNullableJson, writeNullableJson } from "./json.js";

interface MeshDbRow {
  id: string;
  name: string;
  slug: string;
  owner_member_id: string;
  created_at: number;
}

export interface MemberDbRow {
  id: string;
  mesh_id: string;
  pubkey: string;
  display_name: string;
  role: MemberRole;
  default_groups: string;
  joined_at: number;
  revoked_at: number | null;
  revoke_reason: string | null;
  saved: string | null;
}

const MEMBER_COLUMNS =
  "id, mesh_id, pubkey, display_name, role, default_groups, joined_at, revoked_at, revoke_reason, saved";

export function toMember(row: MemberDbRow): MemberRow {
  return {
    id: row.id,
    meshId: row.mesh_id,
    pubkey: row.pubkey,
    displayName: row.display_name,
    role: row.role,
    defaultGroups: readJson(row.default_groups, GroupList),
    joinedAt: row.joined_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
    saved: readNullableJson(row.saved, SavedStateSchema),
  };
}

export function memberParams(m: MemberRow): MemberDbRow {
  return {
    id: m.id,
    mesh_id: m.meshId,
    pubkey: m.pubkey,
    display_name: m.displayName,
    role: m.role,
    default_groups: JSON.stringify(m.defaultGroups),
    joined_at: m.joinedAt,
    revoked_at: m.revokedAt,
    revoke_reason: m.revokeReason,
    saved: writeNullableJson(m.saved),
  };
}

export interface MemberStatements {
  insert: Statement<MemberDbRow>;
  byId: Statement<[string], MemberDbRow>;
  byPubkey: Statement<[string, string], MemberDbRow>;
}

/** Member statements the invite module shares. */
export function memberStatements(db: Db): MemberStatements {
  return {
    insert: db.prepare<MemberDbRow>(
      `INSERT INTO members (${MEMBER_COLUMNS})
       VALUES (@id, @mesh_id, @pubkey, @display_name, @role, @default_groups, @joined_at, @revoked_at,
               @revoke_reason, @saved)`,
    ),
    byId: db.prepare<[string], MemberDbRow>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE id = ?`),
    byPubkey: db.prepare<[string, string], MemberDbRow>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE mesh_id = ? AND pubkey = ?`,
    ),
  };
}

/** Meshes, members and the session keys proven in a mesh. */
export function memberMethods(ctx: SqliteContext): MemberStore {
  const q = ctx.statements((db) => {
    const members = memberStatements(db);
    const insertMesh = db.prepare<MeshDbRow>(
      `INSERT INTO meshes (id, name, slug, owner_member_id, created_at)
       VALUES (@id, @name, @slug, @owner_member_id, @created_at)`,
    );
    return {
      members,
      // The owner row references the mesh and the mesh the owner (deferred), so both go in one transaction.
      createMesh: ctx.atomic((mesh: MeshDbRow, owner: MemberDbRow) => {
        insertMesh.run(mesh);
        members.insert.run(owner);
      }),
      getMesh: db.prepare<[string], MeshDbRow>(
        "SELECT id, name, slug, owner_member_id, created_at FROM meshes WHERE id = ?",
      ),
      listAll: db.prepare<[string], MemberDbRow>(
        `SELECT ${MEMBER_COLUMNS} FROM members WHERE mesh_id = ? ORDER BY joined_at, id`,
      ),
      listActive: db.prepare<[string], MemberDbRow>(
        `SELECT ${MEMBER_COLUMNS} FROM members WHERE mesh_id = ? AND revoked_at IS NULL ORDER BY joined_at, id`,
      ),
      setRevoked: db.prepare<[number | null, string | null, string]>(
        "UPDATE members SET revoked_at = ?, revoke_reason = ? WHERE id = ?",
      ),
      saveState: db.prepare<[string, string]>("UPDATE members SET saved = ? WHERE id = ?"),
      // The first member to prove a key keeps it; later sightings only refresh last_seen_at.
      recordSessionKey: db.prepare<[string, string, string, number, number]>(
        `INSERT INTO session_keys (mesh_id, session_pubkey, member_id, first_seen_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (mesh_id, session_pubkey) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
      ),
      sessionKeyOwner: db
        .prepare<[string, string], string>(
          "SELECT member_id FROM session_keys WHERE mesh_id = ? AND session_pubkey = ?",
        )
        .pluck(),
    };
  });

  return {
    async createMesh(mesh: MeshRow, owner: MemberRow) {
      q().createMesh(
        {
          id: mesh.id,
          name: mesh.name,
          slug: mesh.slug,
          owner_member_id: mesh.ownerMemberId,
          created_at: mesh.createdAt,
        },
        memberParams(owner),
      );
    },
    async getMesh(meshId) {
      const row = q().getMesh.get(meshId);
      return row
        ? {
            id: row.id,
            name: row.name,
            slug: row.slug,
            ownerMemberId: row.owner_member_id,
            createdAt: row.created_at,
          }
        : null;
    },
    async getMember(memberId) {
      const row = q().members.byId.get(memberId);
      return row ? toMember(row) : null;
    },
    async findMemberByPubkey(meshId, pubkey) {
      const row = q().members.byPubkey.get(meshId, pubkey);
      return row ? toMember(row) : null;
    },
    async listMembers(meshId, opts) {
      const rows = opts?.includeRevoked ? q().listAll.all(meshId) : q().listActive.all(meshId);
      return rows.map(toMember);
    },
    async setMemberRevoked(memberId, revokedAt, reason) {
      q().setRevoked.run(revokedAt, reason, memberId);
    },
    async saveMemberState(memberId, saved) {
      q().saveState.run(JSON.stringify(saved), memberId);
    },
    async recordSessionKey(meshId, sessionPubkey, memberId, now) {
      q().recordSessionKey.run(meshId, sessionPubkey, memberId, now, now);
    },
    async findSessionKeyOwner(meshId, sessionPubkey) {
      return q().sessionKeyOwner.get(meshId, sessionPubkey) ?? null;
    },
  };
}
