/** Topic keys (protocol.md §5.4). */
import { toHex } from "./encoding.js";
import { sealOpen } from "./sealed.js";
import { sodium } from "./sodium.js";

export const TOPIC_KEY_BYTES = 32;

/** 16 lower-case hex chars: unkeyed BLAKE2b with an 8-byte output over the topic key. */
export function topicKeyId(topicKey: Uint8Array): string {
  return toHex(sodium.crypto_generichash(8, topicKey, null));
}

/**
 * Opens a member's sealed copy of a topic key and checks it hashes to `keyId`. Returns the key, or null
 * when the copy cannot be opened or is not the key it claims to be (discard it and ask again). The seal
 * signature is checked separately, over `topicSealCanonical`.
 */
export function openTopicKey(
  sealedKeyB64: string,
  keyId: string,
  memberPublicKeyHex: string,
  memberSecretKeyHex: string,
): Uint8Array | null {
  const key = sealOpen(sealedKeyB64, memberPublicKeyHex, memberSecretKeyHex);
  if (key === null || key.length !== TOPIC_KEY_BYTES || topicKeyId(key) !== keyId) return null;
  return key;
}
