/**
 * Listing and revoking invites over HTTP (protocol.md §7.2, §7.3) [ours]: what an invite's state is, and
 * the shapes the broker answers with. Nothing here carries the claim hash, the sealed root key or the
 * inviter's signature: an owner sees that an invite exists and how it is used, never what opens it.
 */

/** An invite's state, in the order the broker decides it: expiry, then revocation, then uses. */
export const INVITE_STATES = ["active", "expired", "revoked", "exhausted"] as const;
export type InviteState = (typeof INVITE_STATES)[number];

/** The state of an invite at `now` (ms); anything but `active` refuses a new member. */
export function inviteState(
  invite: { revokedAt: number | null; expiresAt: number; uses: number; maxUses: number },
  now: number,
): InviteState {
  if (invite.expiresAt <= now) return "expired";
  if (invite.revokedAt !== null) return "revoked";
  if (invite.uses >= invite.maxUses) return "exhausted";
  return "active";
}

/** One invite as `GET /invites` lists it. Times are epoch ms. */
export interface InviteSummary {
  code: string;
  role: "member" | "admin";
  max_uses: number;
  uses: number;
  expires_at: number;
  created_at: number;
  /** When it was revoked, or null. */
  revoked_at: number | null;
  /** The inviter's display name (also when the inviter has since left), or "" when unknown. */
  inviter_name: string;
  inviter_pubkey: string;
  state: InviteState;
}

/** `GET /invites`: every invite of the signing member's mesh, newest first. */
export interface InviteList {
  invites: InviteSummary[];
}

/** `POST /invites/:code/revoke`: the invite as it is now; `already_revoked` when this call changed nothing. */
export interface InviteRevocation {
  ok: true;
  already_revoked: boolean;
  invite: InviteSummary;
}
