/**
 * Direct-message boxes (protocol.md §5.2): crypto_box between the x25519 conversions of two ed25519 keys.
 * The shared key (`crypto_box_beforenm`) is cached per key pair; `crypto_box_easy_afternm` with it gives
 * exactly the bytes `crypto_box_easy` gives.
 */
import { fromBase64, fromUtf8Strict, toBase64, toBytes } from "./encoding.js";
import { randomBytes } from "./ids.js";
import { BoundedCache } from "./lru.js";
import { sodium } from "./sodium.js";
import type { Envelope } from "./types.js";
import { cachedX25519Public, cachedX25519Secret } from "./x25519.js";

export const BOX_NONCE_BYTES = 24;

// A process hosting many peers talks over many pairs (25 peers × 100 others = 5,000); each miss costs a
// scalar multiplication (~0.3 ms). 16,384 entries of 32 bytes stay around 4 MB with their keys.
const sharedKeys = new BoundedCache<string, Uint8Array>(16_384);

function cachedSharedKey(peerPublicKeyHex: string, ownSecretKeyHex: string): Uint8Array {
  const cacheKey = `${peerPublicKeyHex}|${ownSecretKeyHex}`;
  let key = sharedKeys.get(cacheKey);
  if (key === undefined) {
    key = sodium.crypto_box_beforenm(
      cachedX25519Public(peerPublicKeyHex),
      cachedX25519Secret(ownSecretKeyHex),
    );
    sharedKeys.set(cacheKey, key);
  }
  return key;
}

/** The crypto_box shared key between a peer's ed25519 public key and one's own ed25519 secret key. */
export function boxSharedKey(peerPublicKeyHex: string, ownSecretKeyHex: string): Uint8Array {
  return cachedSharedKey(peerPublicKeyHex, ownSecretKeyHex).slice();
}

/**
 * Encrypts `plaintext` (a string as UTF-8) from the sender to the recipient. `nonce` defaults to 24 random
 * bytes; pass one only in tests. Throws on malformed keys or a wrong nonce length.
 */
export function boxEncrypt(
  plaintext: string | Uint8Array,
  recipientPublicKeyHex: string,
  senderSecretKeyHex: string,
  nonce: Uint8Array = randomBytes(BOX_NONCE_BYTES),
): Envelope {
  if (nonce.length !== BOX_NONCE_BYTES) throw new Error(`box nonce must be ${BOX_NONCE_BYTES} bytes`);
  const key = cachedSharedKey(recipientPublicKeyHex, senderSecretKeyHex);
  const ciphertext = sodium.crypto_box_easy_afternm(toBytes(plaintext), nonce, key);
  return { nonce: toBase64(nonce), ciphertext: toBase64(ciphertext) };
}

/** Opens a box to raw bytes, or null on any failure (bad encoding, wrong keys, tampering). Never throws. */
export function boxDecryptBytes(
  ciphertextB64: string,
  nonceB64: string,
  senderPublicKeyHex: string,
  recipientSecretKeyHex: string,
): Uint8Array | null {
  try {
    const nonce = fromBase64(nonceB64);
    const ciphertext = fromBase64(ciphertextB64);
    if (nonce.length !== BOX_NONCE_BYTES || ciphertext.length < sodium.crypto_box_MACBYTES) return null;
    const key = cachedSharedKey(senderPublicKeyHex, recipientSecretKeyHex);
    return sodium.crypto_box_open_easy_afternm(ciphertext, nonce, key);
  } catch {
    // Every failure (malformed base64 or keys, MAC mismatch) means "cannot be decrypted".
    return null;
  }
}

/** Opens a box to text, or null on any failure, including a body that is not valid UTF-8. Never throws. */
export function boxDecrypt(
  ciphertextB64: string,
  nonceB64: string,
  senderPublicKeyHex: string,
  recipientSecretKeyHex: string,
): string | null {
  const bytes = boxDecryptBytes(ciphertextB64, nonceB64, senderPublicKeyHex, recipientSecretKeyHex);
  return bytes === null ? null : fromUtf8Strict(bytes);
}
