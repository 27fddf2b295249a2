/** Multicast bodies by `bodyVersion` (protocol.md §5.5). */
import { fromBase64, fromUtf8Strict, toBase64, utf8 } from "./encoding.js";
import { randomBytes } from "./ids.js";
import { SECRETBOX_NONCE_BYTES, secretboxDecrypt, secretboxSeal } from "./secretbox.js";

/** Version 2: secretbox under the broadcast, group or topic key. */
export type EncryptedMulticastBody = { nonce: string; ciphertext: string; bodyVersion: 2 };
/** Version 1 (reference clients): base64 of the UTF-8 plaintext, not encrypted. */
export type LegacyMulticastBody = { nonce: string; ciphertext: string; bodyVersion: 1 };

/** A decoded multicast body; `encrypted` is false for legacy bodies, which receivers mark "unencrypted". */
export type OpenedMulticastBody = { text: string; encrypted: boolean };

export function encryptMulticast(
  plaintext: string,
  key: Uint8Array,
  nonce: Uint8Array = randomBytes(SECRETBOX_NONCE_BYTES),
): EncryptedMulticastBody {
  return {
    nonce: toBase64(nonce),
    ciphertext: toBase64(secretboxSeal(plaintext, key, nonce)),
    bodyVersion: 2,
  };
}

/** Opens a version 2 body, or null on any failure (wrong key, tampering, not UTF-8). Never throws. */
export function decryptMulticast(ciphertextB64: string, nonceB64: string, key: Uint8Array): string | null {
  const bytes = secretboxDecrypt(ciphertextB64, nonceB64, key);
  return bytes === null ? null : fromUtf8Strict(bytes);
}

/** The version 1 body a reference client sends (`nonce` empty). Only for interop tests and tooling. */
export function encodeLegacyMulticast(plaintext: string): LegacyMulticastBody {
  return { nonce: "", ciphertext: toBase64(utf8(plaintext)), bodyVersion: 1 };
}

/** Decodes a version 1 body, or null when it is not base64 of UTF-8 text. Never throws. */
export function decodeLegacyMulticast(ciphertextB64: string): string | null {
  try {
    return fromUtf8Strict(fromBase64(ciphertextB64));
  } catch {
    return null; // not base64
  }
}

/**
 * Opens a multicast body of any version: absent or 1 is legacy plaintext, 2 needs `key` (null when the
 * receiver has none). Returns null when the body cannot be read. Never throws.
 */
export function openMulticastBody(
  body: { nonce: string; ciphertext: string; bodyVersion?: number | undefined },
  key: Uint8Array | null,
): OpenedMulticastBody | null {
  if (body.bodyVersion === undefined || body.bodyVersion === 1) {
    const text = decodeLegacyMulticast(body.ciphertext);
    return text === null ? null : { text, encrypted: false };
  }
  if (body.bodyVersion !== 2 || key === null) return null;
  const text = decryptMulticast(body.ciphertext, body.nonce, key);
  return text === null ? null : { text, encrypted: true };
}
