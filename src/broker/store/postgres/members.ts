import type postgres from "postgres";
import type { MemberRole } from "../../../protocol/index.js";
import { GroupList, SavedStateSchema } from "../json-schemas.js";
import type { MemberRow, MemberStore } from "../port/index.js";
import { columnList, type Db, type PgContext } from "./db.js";

export interface MemberDbRow {
  id: string;
  meshId: string;
  pubkey: string;
  displayName: string;
  role: MemberRole;
  defaultGroups: unknown;
  joinedAt: number;
  revokedAt: number | null;
  revokeReason: string | null;
  saved: unknown;
}

interface MeshDbRow {
  id: string;
  name: string;
  slug: string;
  ownerMemberId: string;
  createdAt: number;
}

const MEMBER_COLUMNS = [
  "id",
  "mesh_id",
  "pubkey",
  "display_name",
  "role",
  "default_groups",
  "joined_at",
  "revoked_at",
  "revoke_reason",
  "saved",
];
const MEMBER_LIST = columnList(MEMBER_COLUMNS);

/** JSON columns are validated on the way out, so a hand-edited row fails loudly instead of leaking. */
export function toMember(row: MemberDbRow): MemberRow {
  return {
    id: row.id,
    meshId: row.meshId,
    pubkey: row.pubkey,
    displayName: row.displayName,
    role: row.role,
    defaultGroups: GroupList.parse(row.defaultGroups),
    joinedAt: row.joinedAt,
    revokedAt: row.revokedAt,
    revokeReason: row.revokeReason,
    saved: row.saved === null ? null : SavedStateSchema.parse(row.saved),
  };
}

const JSONB_OID = 3802;

/** A JSONB parameter, serialized by the driver (null and absent are SQL NULL). */
export function jsonb(db: Db, value: object | null | undefined): postgres.Parameter<object> | null {
  return value === null || value === undefined ? null : db.typed(value, JSONB_OID);
}

export function insertMember(db: Db, m: MemberRow) {
  return db`
    INSERT INTO members (${db.unsafe(MEMBER_LIST)})
    VALUES (${m.id}, ${m.meshId}, ${m.pubkey}, ${m.displayName}, ${m.role}, ${jsonb(db, m.defaultGroups)},
            ${m.joinedAt}, ${m.revokedAt}, ${m.revokeReason}, ${jsonb(db, m.saved)})`;
}

export async function memberById(db: Db, memberId: string): Promise<MemberRow | null> {
  const [row] = await db<MemberDbRow[]>`SELECT ${db.unsafe(MEMBER_LIST)} FROM members WHERE id = ${memberId}`;
  return row ? toMember(row) : null;
}

export async function memberByPubkey(db: Db, meshId: string, pubkey: string): Promise<MemberRow | null> {
  const [row] = await db<MemberDbRow[]>`
    SELECT ${db.unsafe(MEMBER_LIST)} FROM members WHERE mesh_id = ${meshId} AND pubkey = ${pubkey}`;
  return row ? toMember(row) : null;
}

/** Meshes, members and the session keys proven in a mesh. */
export function memberMethods(ctx: PgContext): MemberStore {
  return {
    async createMesh(mesh, owner) {
      // The owner row references the mesh and the mesh the owner (deferred), so both go in one transaction.
      await ctx.run(true, async (db) => {
        await db`
          INSERT INTO meshes (id, name, slug, owner_member_id, created_at)
          VALUES (${mesh.id}, ${mesh.name}, ${mesh.slug}, ${mesh.ownerMemberId}, ${mesh.createdAt})`;
        await insertMember(db, owner);
      });
    },
    async getMesh(meshId) {
      const [row] = await ctx.run(
        false,
        (db) => db<MeshDbRow[]>`
          SELECT id, name, slug, owner_member_id, created_at FROM meshes WHERE id = ${meshId}`,
      );
      return row
        ? {
            id: row.id,
            name: row.name,
            slug: row.slug,
            ownerMemberId: row.ownerMemberId,
            createdAt: row.createdAt,
          }
        : null;
    },
    async getMember(memberId) {
      return ctx.run(false, (db) => memberById(db, memberId));
    },
    async findMemberByPubkey(meshId, pubkey) {
      return ctx.run(false, (db) => memberByPubkey(db, meshId, pubkey));
    },
    async listMembers(meshId, opts) {
      const includeRevoked = opts?.includeRevoked === true;
      const rows = await ctx.run(
        false,
        (db) => db<MemberDbRow[]>`
          SELECT ${db.unsafe(MEMBER_LIST)} FROM members
          WHERE mesh_id = ${meshId} AND (${includeRevoked} OR revoked_at IS NULL)
          ORDER BY joined_at, id`,
      );
      return rows.map(toMember);
    },
    async setMemberRevoked(memberId, revokedAt, reason) {
      await ctx.run(
        false,
        (db) =>
          db`UPDATE members SET revoked_at = ${revokedAt}, revoke_reason = ${reason} WHERE id = ${memberId}`,
      );
    },
    async saveMemberState(memberId, saved) {
      await ctx.run(false, (db) => db`UPDATE members SET saved = ${jsonb(db, saved)} WHERE id = ${memberId}`);
    },
    async recordSessionKey(meshId, sessionPubkey, memberId, now) {
      // The first member to prove a key keeps it; later sightings only refresh last_seen_at.
      await ctx.run(
        false,
        (db) => db`
          INSERT INTO session_keys (mesh_id, session_pubkey, member_id, first_seen_at, last_seen_at)
          VALUES (${meshId}, ${sessionPubkey}, ${memberId}, ${now}, ${now})
          ON CONFLICT (mesh_id, session_pubkey) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at`,
      );
    },
    async findSessionKeyOwner(meshId, sessionPubkey) {
      const [row] = await ctx.run(
        false,
        (db) => db<{ memberId: string }[]>`
          SELECT member_id FROM session_keys WHERE mesh_id = ${meshId} AND session_pubkey = ${sessionPubkey}`,
      );
      return row?.memberId ?? null;
    },
  };
}
