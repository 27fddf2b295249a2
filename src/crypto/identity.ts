/** ed25519 identities (protocol.md §0, §2.1). */
import { fromHex, isHex, toHex } from "./encoding.js";
import { sodium } from "./sodium.js";

/** An ed25519 key pair: `publicKey` is 64 lower-case hex, `secretKey` 128 (seed ‖ public key). */
export type Identity = { publicKey: string; secretKey: string };

export function generateIdentity(): Identity {
  const pair = sodium.crypto_sign_keypair();
  return { publicKey: toHex(pair.publicKey), secretKey: toHex(pair.privateKey) };
}

/** The key pair `crypto_sign_seed_keypair` makes from a 32-byte seed given as 64 hex chars. */
export function identityFromSeed(seedHex: string): Identity {
  if (!isHex(seedHex.toLowerCase(), 64)) throw new Error("identity seed must be 32 bytes as 64 hex chars");
  const pair = sodium.crypto_sign_seed_keypair(fromHex(seedHex));
  return { publicKey: toHex(pair.publicKey), secretKey: toHex(pair.privateKey) };
}

/** Decodes a 128-hex-char ed25519 secret key, or throws a clear error. */
export function secretKeyBytes(secretKeyHex: string): Uint8Array {
  if (!isHex(secretKeyHex.toLowerCase(), 128)) {
    throw new Error("ed25519 secret key must be 64 bytes as 128 hex chars");
  }
  return fromHex(secretKeyHex);
}

/** Decodes a 64-hex-char ed25519 public key, or throws a clear error. */
export function publicKeyBytes(publicKeyHex: string): Uint8Array {
  if (!isHex(publicKeyHex.toLowerCase(), 64)) {
    throw new Error("ed25519 public key must be 32 bytes as 64 hex chars");
  }
  return fromHex(publicKeyHex);
}
