/** Meshes, members and the session keys they have proven (protocol.md §2, §3.2, §4.2). */
import type { GroupRef, MemberRole, Profile, Stats } from "../../../protocol/index.js";

export interface MeshRow {
  id: string;
  name: string;
  slug: string;
  ownerMemberId: string;
  createdAt: number;
}

/** State a member's presences leave behind when they close (protocol.md §3.2). */
export interface SavedState {
  groups?: GroupRef[];
  summary?: string | null;
  displayName?: string;
  profile?: Profile;
  visible?: boolean;
  stats?: Required<Pick<Stats, "messagesIn" | "messagesOut" | "toolCalls" | "errors">>;
  lastSeenAt?: number;
}

/**
 * The `revokeReason` of a member that left on its own (`leave_mesh`); any other reason is a ban. A member
 * that left may come back through an invite; a banned one only through `unban`.
 */
export const LEFT_REVOKE_REASON = "left";

export interface MemberRow {
  id: string;
  meshId: string;
  pubkey: string;
  displayName: string;
  role: MemberRole;
  defaultGroups: GroupRef[];
  joinedAt: number;
  revokedAt: number | null;
  revokeReason: string | null;
  saved: SavedState | null;
}

export interface MemberStore {
  /** Creates the mesh and its owner member together; rejects when the mesh id or owner key is taken. */
  createMesh(mesh: MeshRow, owner: MemberRow): Promise<void>;
  getMesh(meshId: string): Promise<MeshRow | null>;
  /** Including revoked members. */
  getMember(memberId: string): Promise<MemberRow | null>;
  /** Including revoked members. */
  findMemberByPubkey(meshId: string, pubkey: string): Promise<MemberRow | null>;
  /** Members of the mesh in `joinedAt` order; revoked ones only with `includeRevoked`. */
  listMembers(meshId: string, opts?: { includeRevoked?: boolean }): Promise<MemberRow[]>;
  /** Ban / leave (a time and reason), or unban (nulls). Deliveries are `revokeDeliveries`' job. */
  setMemberRevoked(memberId: string, revokedAt: number | null, reason: string | null): Promise<void>;
  /** Replaces the member's saved state. */
  saveMemberState(memberId: string, saved: SavedState): Promise<void>;

  // session keys ever proven in a mesh (stale-session DMs)
  /** The first member to prove a key in a mesh keeps it; later calls only refresh its last-seen time. */
  recordSessionKey(meshId: string, sessionPubkey: string, memberId: string, now: number): Promise<void>;
  /** The member id that proved `sessionPubkey` in the mesh, or null. */
  findSessionKeyOwner(meshId: string, sessionPubkey: string): Promise<string | null>;
}
