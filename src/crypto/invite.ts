/** Invite secrets (protocol.md §7.3): the link's secret part never reaches the broker. */
import { utf8 } from "./encoding.js";
import { sha256Hex } from "./hash.js";
import { randomBytes } from "./ids.js";
import { ROOT_KEY_BYTES } from "./kdf.js";
import { SECRETBOX_NONCE_BYTES, secretboxDecrypt, secretboxEncrypt } from "./secretbox.js";
import type { Envelope } from "./types.js";
import { sodium } from "./sodium.js";

export const INVITE_SECRET_BYTES = 32;

export function inviteKeyLabel(code: string): string {
  return `claudemesh/v1/invite-key|${code}`;
}

export function inviteClaimLabel(code: string): string {
  return `claudemesh/v1/invite-claim|${code}`;
}

/**
 * `inviteKey` (decrypts the root key) and `claimToken` (proves the link to the broker), each BLAKE2b-256
 * keyed with the raw 32-byte invite secret over its label.
 */
export function deriveInviteKeys(
  secret: Uint8Array,
  code: string,
): { inviteKey: Uint8Array; claimToken: Uint8Array } {
  if (secret.length !== INVITE_SECRET_BYTES)
    throw new Error(`invite secret must be ${INVITE_SECRET_BYTES} bytes`);
  return {
    inviteKey: sodium.crypto_generichash(32, utf8(inviteKeyLabel(code)), secret),
    claimToken: sodium.crypto_generichash(32, utf8(inviteClaimLabel(code)), secret),
  };
}

/** `claim_hash`: lower-case hex SHA-256 of the 32 raw claim-token bytes (not of their hex). */
export function claimHash(claimToken: Uint8Array): string {
  return sha256Hex(claimToken);
}

/** `encrypted_root_key` and `nonce` for `POST /invites`. */
export function encryptRootKey(
  rootKey: Uint8Array,
  inviteKey: Uint8Array,
  nonce: Uint8Array = randomBytes(SECRETBOX_NONCE_BYTES),
): Envelope {
  if (rootKey.length !== ROOT_KEY_BYTES) throw new Error(`root key must be ${ROOT_KEY_BYTES} bytes`);
  return secretboxEncrypt(rootKey, inviteKey, nonce);
}

/** The mesh root key from a claim answer, or null when it does not open to 32 bytes. Never throws. */
export function decryptRootKey(
  encryptedRootKeyB64: string,
  nonceB64: string,
  inviteKey: Uint8Array,
): Uint8Array | null {
  const rootKey = secretboxDecrypt(encryptedRootKeyB64, nonceB64, inviteKey);
  return rootKey !== null && rootKey.length === ROOT_KEY_BYTES ? rootKey : null;
}
