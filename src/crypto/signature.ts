/** Detached ed25519 signatures over the UTF-8 bytes of canonical strings (protocol.md §0). */
import { fromHex, isHex, toBytes, toHex } from "./encoding.js";
import { secretKeyBytes } from "./identity.js";
import { sodium } from "./sodium.js";

/** Signs `message` (a string is signed as its UTF-8 bytes) and returns the signature as 128 hex chars. */
export function sign(message: string | Uint8Array, secretKeyHex: string): string {
  return toHex(sodium.crypto_sign_detached(toBytes(message), secretKeyBytes(secretKeyHex)));
}

/**
 * True only for a valid signature. Never throws: malformed input (upper-case or wrong-length hex,
 * invalid curve points) is simply false. Upper-case hex is refused so one signature has one spelling,
 * which replay caches rely on.
 */
export function verify(message: string | Uint8Array, signatureHex: string, publicKeyHex: string): boolean {
  if (!isHex(signatureHex, 128) || !isHex(publicKeyHex, 64)) return false;
  try {
    return sodium.crypto_sign_verify_detached(fromHex(signatureHex), toBytes(message), fromHex(publicKeyHex));
  } catch {
    // libsodium throws on inputs it cannot even parse; for a verifier that is just "not valid".
    return false;
  }
}
