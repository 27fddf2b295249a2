/** Symmetric boxes (protocol.md §5.1): crypto_secretbox with a 32-byte key and a 24-byte nonce. */
import { fromBase64, toBase64, toBytes } from "./encoding.js";
import { randomBytes } from "./ids.js";
import type { Envelope } from "./types.js";
import { sodium } from "./sodium.js";

export const SECRETBOX_KEY_BYTES = 32;
export const SECRETBOX_NONCE_BYTES = 24;
export const SECRETBOX_MAC_BYTES = 16;

function checkKey(key: Uint8Array): void {
  if (key.length !== SECRETBOX_KEY_BYTES)
    throw new Error(`secretbox key must be ${SECRETBOX_KEY_BYTES} bytes`);
}

/** Raw crypto_secretbox_easy (MAC ‖ encrypted bytes). Throws on a wrong key or nonce length. */
export function secretboxSeal(
  plaintext: string | Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  checkKey(key);
  if (nonce.length !== SECRETBOX_NONCE_BYTES) {
    throw new Error(`secretbox nonce must be ${SECRETBOX_NONCE_BYTES} bytes`);
  }
  return sodium.crypto_secretbox_easy(toBytes(plaintext), nonce, key);
}

/** Raw crypto_secretbox_open_easy, or null on any failure. Never throws. */
export function secretboxOpen(ciphertext: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null {
  if (
    key.length !== SECRETBOX_KEY_BYTES ||
    nonce.length !== SECRETBOX_NONCE_BYTES ||
    ciphertext.length < SECRETBOX_MAC_BYTES
  ) {
    return null;
  }
  try {
    return sodium.crypto_secretbox_open_easy(ciphertext, nonce, key);
  } catch {
    // MAC mismatch: tampered ciphertext or the wrong key.
    return null;
  }
}

/** Encrypts under `key`; returns base64 `nonce` and `ciphertext`. `nonce` defaults to 24 random bytes. */
export function secretboxEncrypt(
  plaintext: string | Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array = randomBytes(SECRETBOX_NONCE_BYTES),
): Envelope {
  return { nonce: toBase64(nonce), ciphertext: toBase64(secretboxSeal(plaintext, key, nonce)) };
}

/** Opens base64 `ciphertext`/`nonce` under `key`, or null on any failure. Never throws. */
export function secretboxDecrypt(
  ciphertextB64: string,
  nonceB64: string,
  key: Uint8Array,
): Uint8Array | null {
  let ciphertext: Uint8Array;
  let nonce: Uint8Array;
  try {
    ciphertext = fromBase64(ciphertextB64);
    nonce = fromBase64(nonceB64);
  } catch {
    return null; // not base64: cannot be one of our boxes
  }
  return secretboxOpen(ciphertext, nonce, key);
}
