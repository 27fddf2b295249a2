/**
 * ed25519 → x25519 conversion (protocol.md §5.1). Conversions are cached because the same few keys are
 * converted over and over on hot paths; the public functions hand out copies so the cache cannot be
 * corrupted by a caller.
 */
import { BoundedCache } from "./lru.js";
import { publicKeyBytes, secretKeyBytes } from "./identity.js";
import { sodium } from "./sodium.js";

const CACHE_SIZE = 512;
const publicCache = new BoundedCache<string, Uint8Array>(CACHE_SIZE);
const secretCache = new BoundedCache<string, Uint8Array>(CACHE_SIZE);

/** Cached conversion; the returned array is shared and must not be modified. */
export function cachedX25519Public(publicKeyHex: string): Uint8Array {
  let key = publicCache.get(publicKeyHex);
  if (key === undefined) {
    const ed = publicKeyBytes(publicKeyHex);
    try {
      key = sodium.crypto_sign_ed25519_pk_to_curve25519(ed);
    } catch {
      throw new Error("invalid ed25519 public key: it is not a valid curve point");
    }
    publicCache.set(publicKeyHex, key);
  }
  return key;
}

/** Cached conversion; the returned array is shared and must not be modified. */
export function cachedX25519Secret(secretKeyHex: string): Uint8Array {
  let key = secretCache.get(secretKeyHex);
  if (key === undefined) {
    const ed = secretKeyBytes(secretKeyHex);
    try {
      key = sodium.crypto_sign_ed25519_sk_to_curve25519(ed);
    } catch {
      throw new Error("invalid ed25519 secret key");
    }
    secretCache.set(secretKeyHex, key);
  }
  return key;
}

/** The x25519 public key of an ed25519 public key (64 hex chars). Throws on a malformed or invalid key. */
export function x25519PublicFromEd25519(publicKeyHex: string): Uint8Array {
  return cachedX25519Public(publicKeyHex).slice();
}

/** The x25519 secret key of an ed25519 secret key (128 hex chars). Throws on a malformed key. */
export function x25519SecretFromEd25519(secretKeyHex: string): Uint8Array {
  return cachedX25519Secret(secretKeyHex).slice();
}
