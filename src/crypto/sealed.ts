/** Sealed boxes: wrapping a key to one member (protocol.md §5.4, §5.6, crypto_box_seal). */
import { fromBase64, toBase64 } from "./encoding.js";
import { sodium } from "./sodium.js";
import { cachedX25519Public, cachedX25519Secret } from "./x25519.js";

/** base64 `crypto_box_seal(bytes, x25519(recipient))`. Throws on a malformed or invalid recipient key. */
export function sealTo(bytes: Uint8Array, recipientPublicKeyHex: string): string {
  return toBase64(sodium.crypto_box_seal(bytes, cachedX25519Public(recipientPublicKeyHex)));
}

/** Opens a sealed box addressed to this key pair, or null on any failure. Never throws. */
export function sealOpen(
  sealedB64: string,
  recipientPublicKeyHex: string,
  recipientSecretKeyHex: string,
): Uint8Array | null {
  try {
    const sealed = fromBase64(sealedB64);
    if (sealed.length < sodium.crypto_box_SEALBYTES) return null;
    return sodium.crypto_box_seal_open(
      sealed,
      cachedX25519Public(recipientPublicKeyHex),
      cachedX25519Secret(recipientSecretKeyHex),
    );
  } catch {
    // Malformed input, wrong key pair or tampering: all mean "not openable by us".
    return null;
  }
}
