/**
 * Making invites and invite claims (protocol.md §7.3) on the client side: the secret, the derived keys,
 * the signed registration and the signed claim. The broker gets the registration and the claim, never
 * the secret or the root key.
 */
import {
  claimHash,
  deriveInviteKeys,
  encryptRootKey,
  randomBytes,
  randomString,
  sign,
  toHex,
  verify,
  type Identity,
} from "../crypto/index.js";
import { inviteCanonical, inviteClaimCanonical } from "../protocol/canonical.js";
import { INVITE_CODE_ALPHABET, INVITE_CODE_LENGTH } from "../protocol/constants.js";
import type { InviteClaim, InviteClaimResult, InviteRegistration } from "./broker-http.js";

export interface SignedInvite {
  code: string;
  /** The link's secret part (after `#`). */
  secret: Uint8Array;
  claimToken: Uint8Array;
  /** The exact string `invite_signature` signs. */
  canonical: string;
  registration: InviteRegistration;
}

/** A fresh invite for `POST /invites`, signed by the inviter (an owner or admin member key). */
export function signInvite(f: {
  meshId: string;
  rootKey: Uint8Array;
  inviterPubkey: string;
  inviterSecretKey: string;
  role: "member" | "admin";
  maxUses: number;
  expiresAt: number;
  /** @default a random code */
  code?: string;
}): SignedInvite {
  const code = f.code ?? randomString(INVITE_CODE_ALPHABET, INVITE_CODE_LENGTH);
  const secret = randomBytes(32);
  const { inviteKey, claimToken } = deriveInviteKeys(secret, code);
  const hash = claimHash(claimToken);
  const sealed = encryptRootKey(f.rootKey, inviteKey);
  const canonical = inviteCanonical({
    meshId: f.meshId,
    code,
    role: f.role,
    maxUses: f.maxUses,
    expiresAt: f.expiresAt,
    inviterPubkey: f.inviterPubkey,
    claimHash: hash,
  });
  return {
    code,
    secret,
    claimToken,
    canonical,
    registration: {
      code,
      role: f.role,
      max_uses: f.maxUses,
      expires_at: f.expiresAt,
      inviter_pubkey: f.inviterPubkey,
      invite_signature: sign(canonical, f.inviterSecretKey),
      claim_hash: hash,
      encrypted_root_key: sealed.ciphertext,
      nonce: sealed.nonce,
    },
  };
}

/** The body of `POST /invites/:code/claim`, proving the joiner holds the key it enrols. */
export function signInviteClaim(f: {
  code: string;
  claimToken: Uint8Array;
  identity: Identity;
  displayName: string;
  timestamp?: number;
}): InviteClaim {
  const timestamp = f.timestamp ?? Date.now();
  return {
    claim_token: toHex(f.claimToken),
    peer_pubkey: f.identity.publicKey,
    display_name: f.displayName,
    timestamp,
    signature: sign(
      inviteClaimCanonical({ code: f.code, peerPubkey: f.identity.publicKey, timestamp }),
      f.identity.secretKey,
    ),
  };
}

/**
 * What is wrong with a claim answer, checked against what the link promised (§7.3 "The joiner verifies
 * …"), or null when it holds: the signed invite names this mesh, code, claim hash and inviter, and the
 * inviter's signature verifies.
 */
export function claimResultProblem(
  result: InviteClaimResult,
  code: string,
  expectedClaimHash: string,
): string | null {
  const parts = result.canonical.split("|");
  if (parts.length !== 8 || parts[0] !== "claudemesh-invite") return "malformed signed invite";
  const [, meshId, signedCode, , , , inviterPubkey, signedClaimHash] = parts;
  if (meshId !== result.mesh_id) return "it names another mesh";
  if (signedCode !== code) return "it names another invite code";
  if (signedClaimHash !== expectedClaimHash) return "its claim hash does not match the link";
  if (inviterPubkey !== result.inviter_pubkey) return "the inviter key does not match";
  if (!verify(result.canonical, result.invite_signature, result.inviter_pubkey)) return "bad signature";
  return null;
}

/**
 * What the broker's refusal of an invite (`GET /invites/<code>`, the claim) means for the person holding
 * the link, by its code: what happened, and what to do. Each makes the invite unusable from this link.
 */
export const INVITE_REFUSALS: Readonly<Record<string, readonly [message: string, hint: string]>> = {
  expired: ["this invite has expired", "ask the mesh owner for a new invite"],
  exhausted: [
    "this invite has been used up",
    "ask the mesh owner for a new invite (or one with more --uses)",
  ],
  revoked: ["this invite was revoked", "ask the mesh owner for a new invite"],
  not_found: [
    "the broker knows no such invite",
    "check that the whole link was copied, or ask for a new one",
  ],
  banned: [
    "you were banned from this mesh, and an invite does not undo a ban",
    "ask the mesh owner or an admin to let you back in (`claudemesh unban`)",
  ],
  bad_claim_token: [
    "this invite link was refused: its secret does not match the invite (damaged or forged link)",
    "copy the whole link again, or ask the mesh owner for a new one",
  ],
};

/** What a mesh name or display name may be: 1–64 characters, no control characters, no `|`. */
export const NAME_RULE = `use 1–64 characters without "|" or control characters`;

/** Whether `name` (trimmed) is a valid mesh or display name (`|` separates the fields of signed strings). */
export function isAllowedName(name: string): boolean {
  return name.length >= 1 && name.length <= 64 && !name.includes("|") && !/\p{Cc}/u.test(name);
}
