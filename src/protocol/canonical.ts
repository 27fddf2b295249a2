/**
 * The canonical strings of protocol.md: the exact text that gets signed (or hashed), fields joined by `|`,
 * no spaces, no trailing newline. Numbers are written with `String(n)`. Callers validate fields first:
 * names and ids never contain `|` (§7.4), which keeps every string unambiguous.
 */
import { createHash } from "node:crypto";

/** Member `hello` (§2.3), signed by the member key. */
export function helloCanonical(f: {
  meshId: string;
  memberId: string;
  pubkey: string;
  timestamp: number;
}): string {
  return [f.meshId, f.memberId, f.pubkey, String(f.timestamp)].join("|");
}

/** Parent attestation of a session key (§2.4), signed by the member key. */
export function attestationCanonical(f: {
  parentMemberPubkey: string;
  sessionPubkey: string;
  expiresAt: number;
}): string {
  return ["claudemesh-session-attest", f.parentMemberPubkey, f.sessionPubkey, String(f.expiresAt)].join("|");
}

/** `session_hello` (§2.4), signed by the session key. */
export function sessionHelloCanonical(f: {
  meshId: string;
  parentMemberPubkey: string;
  sessionPubkey: string;
  timestamp: number;
}): string {
  return [
    "claudemesh-session-hello",
    f.meshId,
    f.parentMemberPubkey,
    f.sessionPubkey,
    String(f.timestamp),
  ].join("|");
}

export type SendFingerprintFields = {
  targetSpec: string;
  /** @default "next" */
  priority?: string | undefined;
  /** @default "" */
  nonce?: string | undefined;
  ciphertext: string;
};

/** `cmfp1|<targetSpec>|<priority>|<nonce>|<ciphertext>` (§4.5), nonce and ciphertext as sent (base64 text). */
export function sendFingerprintCanonical(f: SendFingerprintFields): string {
  return ["cmfp1", f.targetSpec, f.priority ?? "next", f.nonce ?? "", f.ciphertext].join("|");
}

/** The effective fingerprint of a send without `request_fingerprint` (§4.5): lower-case hex SHA-256. */
export function requestFingerprint(f: SendFingerprintFields): string {
  return createHash("sha256").update(sendFingerprintCanonical(f), "utf8").digest("hex");
}

/**
 * Signed HTTP request (§7.1). `target` is the path and query exactly as sent; `bodySha256` the lower-case
 * hex SHA-256 of the raw body (of the empty string when there is none). The method is upper-cased.
 */
export function httpCanonical(f: {
  method: string;
  target: string;
  meshId: string;
  pubkey: string;
  timestamp: number;
  bodySha256: string;
}): string {
  return [
    "claudemesh-http",
    f.method.toUpperCase(),
    f.target,
    f.meshId,
    f.pubkey,
    String(f.timestamp),
    f.bodySha256,
  ].join("|");
}

/** Header names of a signed HTTP request (§7.1). */
export const SIGNED_HTTP_HEADERS = {
  mesh: "X-Claudemesh-Mesh",
  pubkey: "X-Claudemesh-Pubkey",
  timestamp: "X-Claudemesh-Timestamp",
  signature: "X-Claudemesh-Signature",
} as const;

/** `POST /meshes` (§7.2), signed by the owner's member key. */
export function meshCreateCanonical(f: { name: string; ownerPubkey: string; timestamp: number }): string {
  return ["claudemesh-mesh-create", f.name, f.ownerPubkey, String(f.timestamp)].join("|");
}

/** `invite_signature` (§7.3), by the inviter's member key; `expiresAt` in ms. */
export function inviteCanonical(f: {
  meshId: string;
  code: string;
  role: string;
  maxUses: number;
  expiresAt: number;
  inviterPubkey: string;
  claimHash: string;
}): string {
  return [
    "claudemesh-invite",
    f.meshId,
    f.code,
    f.role,
    String(f.maxUses),
    String(f.expiresAt),
    f.inviterPubkey,
    f.claimHash,
  ].join("|");
}

/** `POST /invites/:code/claim` (§7.3), signed by the new member key. */
export function inviteClaimCanonical(f: { code: string; peerPubkey: string; timestamp: number }): string {
  return ["claudemesh-invite-claim", f.code, f.peerPubkey, String(f.timestamp)].join("|");
}

/** A sealed topic-key copy (§5.4), signed by the member who sealed it; `sealedKey` is the base64 text. */
export function topicSealCanonical(f: {
  meshId: string;
  topicId: string;
  recipientMemberPubkey: string;
  keyId: string;
  sealedKey: string;
}): string {
  return ["claudemesh-topic-seal", f.meshId, f.topicId, f.recipientMemberPubkey, f.keyId, f.sealedKey].join(
    "|",
  );
}
