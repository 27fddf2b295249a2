/**
 * Topic keys on the client side (protocol.md §5.4): making a key, sealing a signed copy for a member, and
 * checking a copy before trusting it. Pure functions; no sockets.
 */
import {
  TOPIC_KEY_BYTES,
  openTopicKey,
  randomBytes,
  sealTo,
  sign,
  topicKeyId,
  verify,
} from "../crypto/index.js";
import { topicSealCanonical } from "../protocol/canonical.js";
import type { TopicKeyReply } from "../protocol/frames.js";

/** A sealed copy as the key messages carry it. */
export interface SealedCopy {
  keyId: string;
  sealedKey: string;
  sealSig: string;
}

/** A fresh random topic key. */
export function newTopicKey(): Uint8Array {
  return randomBytes(TOPIC_KEY_BYTES);
}

/** `topicKey` sealed to `recipientPubkey` and signed by the sealer's member key. */
export function sealTopicKeyCopy(
  f: { meshId: string; topicId: string; recipientPubkey: string; topicKey: Uint8Array },
  sealer: { secretKey: string },
): SealedCopy {
  const keyId = topicKeyId(f.topicKey);
  const sealedKey = sealTo(f.topicKey, f.recipientPubkey);
  const canonical = topicSealCanonical({
    meshId: f.meshId,
    topicId: f.topicId,
    recipientMemberPubkey: f.recipientPubkey,
    keyId,
    sealedKey,
  });
  return { keyId, sealedKey, sealSig: sign(canonical, sealer.secretKey) };
}

/**
 * Opens this member's copy, or null when it must be discarded (§5.4): a signature that is not `sealedBy`'s
 * over the copy, a `sealedBy` that is not a member of the topic, or a key that does not hash to `keyId`.
 */
export function openTopicKeyCopy(
  copy: Pick<TopicKeyReply, "topicId" | "keyId" | "sealedKey" | "sealedBy" | "sealSig">,
  f: {
    meshId: string;
    memberPubkey: string;
    memberSecretKey: string;
    topicMemberPubkeys: ReadonlySet<string>;
  },
): Uint8Array | null {
  if (!f.topicMemberPubkeys.has(copy.sealedBy)) return null;
  const canonical = topicSealCanonical({
    meshId: f.meshId,
    topicId: copy.topicId,
    recipientMemberPubkey: f.memberPubkey,
    keyId: copy.keyId,
    sealedKey: copy.sealedKey,
  });
  if (!verify(canonical, copy.sealSig, copy.sealedBy)) return null;
  return openTopicKey(copy.sealedKey, copy.keyId, f.memberPubkey, f.memberSecretKey);
}
