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
  | { status: "not_found" | "expired" | "revoked" | "exhausted" | "bad_claim_token" };

export interface InviteStore {
  /** 'conflict' when the code exists. */
  insertInvite(invite: InviteRow): Promise<"ok" | "conflict">;
  /** Whatever its state (expired, revoked, used up). */
  getInvite(code: string): Promise<InviteRow | null>;
  /**
   * Atomic claim: checks the claim hash, then an already-active member with this key (returned without
   * using a use), then expiry, revocation and uses (conditional increment), then creates the member.
   * The new member takes the invite's mesh and role. A revoked member with this key is reinstated under
   * its old id (using a use, `created: true`). A display name a non-revoked member of the mesh already has
   * (ignoring case) becomes the first free `<name> 2`, `<name> 3`, …; the returned member has the name it got.
   */
  claimInvite(input: {
    code: string;
    claimHash: string;
    newMember: MemberRow;
    now: number;
  }): Promise<ClaimInviteResult>;
}
