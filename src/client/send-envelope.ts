/**
 * The envelope of a message for a resolved target (protocol.md §5.2-§5.5): crypto_box from the sender's
 * key for a member or session, `bodyVersion` 2 under the key derived from the root key for `*`, `@all`
 * and `@<group>`, or under the topic key for `#<topic>`. What `send` queues and what `schedule` hands
 * the broker to fire later (always from the member key then, §5.7).
 */
import { encryptDirect, encryptForTarget } from "./push-crypto.js";

/** Where a message goes: a direct target carries the key to encrypt to, a topic its key. */
export interface EnvelopeTarget {
  kind: string;
  spec: string;
  recipientPubkey?: string | null;
  topicKey?: Uint8Array;
}

export interface Envelope {
  nonce: string;
  ciphertext: string;
  bodyVersion?: number;
}

export function envelopeOf(
  text: string,
  target: EnvelopeTarget,
  keys: { senderSecretKey: string; rootKey: Uint8Array },
): Envelope {
  if (target.kind === "member" || target.kind === "session") {
    if (target.recipientPubkey === null || target.recipientPubkey === undefined)
      throw new Error("a direct target without a key");
    return encryptDirect(text, target.recipientPubkey, keys.senderSecretKey);
  }
  return encryptForTarget(text, target.spec, keys.rootKey, target.topicKey);
}
