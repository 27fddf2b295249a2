/** Invites and joins (protocol.md §7.3). */
import type { MemberRow } from "./members.js";

export interface InviteRow {
  code: string;
  meshId: string;
  role: "member" | "admin";
  maxUses: number;
  uses: number;
  expiresAt: number;
  inviterPubkey: string;
  inviteSignature: string;
  claimHash: string;
  encryptedRootKey: string;
  nonce: string;
  revokedAt: number | null;
  createdAt: number;
}

export type ClaimInviteResult =
  | { status: "ok"; member: MemberRow; created: boolean; invite: InviteRow }
  | { status: "not_found" | "expired" | "revoked" | "exhausted" | "bad_claim_token" | "banned" };

/** `revoked`: this call revoked it; `already_revoked`: it was (its first revocation time kept). */
export type RevokeInviteResult =
  { status: "revoked" | "already_revoked"; invite: InviteRow } | { status: "not_found" };

export interface InviteStore {
  /** 'conflict' when the code exists. */
  insertInvite(invite: InviteRow): Promise<"ok" | "conflict">;
  /** Whatever its state (expired, revoked, used up). */
  getInvite(code: string): Promise<InviteRow | null>;
  /** Every invite of the mesh, whatever its state, newest first (`createdAt`, then `code`). */
  listInvites(meshId: string): Promise<InviteRow[]>;
  /**
   * Revokes the mesh's invite `code` at `now`, whatever its other state (expired, used up): claims of it
   * then answer `revoked`. `not_found` for an unknown code and for another mesh's invite alike, so a mesh
   * learns nothing of other meshes' codes. Returns the invite as it is afterwards.
   */
  revokeInvite(input: { meshId: string; code: string; now: number }): Promise<RevokeInviteResult>;
  /**
   * Atomic claim: checks the claim hash, then an already-active member with this key (returned without
   * using a use), then expiry, revocation and uses (conditional increment), then creates the member.
   * The new member takes the invite's mesh and role. A member with this key that left is reinstated under
   * its old id (using a use, `created: true`); a banned one is refused (`banned`: only `unban` lifts a ban). A display name a non-revoked member of the mesh already has
   * (ignoring case) becomes the first free `<name> 2`, `<name> 3`, …; the returned member has the name it got.
   */
  claimInvite(input: {
    code: string;
    claimHash: string;
    newMember: MemberRow;
    now: number;
  }): Promise<ClaimInviteResult>;
}
