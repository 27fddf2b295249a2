/**
 * Opening a topic's history (protocol.md §6.4): each entry is a body as it was sent, `bodyVersion` 2 under
 * the topic key (§5.4). One rule for the daemon and the web app.
 */
import type { TopicHistoryEntry } from "../protocol/index.js";
import { decryptPush, type DecryptResult } from "./push-crypto.js";

/** Opens one history entry with the topic's key, when held. Never throws. */
export function openTopicHistoryEntry(
  m: TopicHistoryEntry,
  topic: { id: string; name: string },
  key: Uint8Array | undefined,
): DecryptResult {
  return decryptPush(
    {
      targetSpec: `#${topic.name}`,
      topicId: topic.id,
      nonce: m.nonce,
      ciphertext: m.ciphertext,
      senderPubkey: m.senderPubkey,
      ...(m.bodyVersion === null ? {} : { bodyVersion: m.bodyVersion }),
    },
    { secretKeys: new Map(), topicKeys: key === undefined ? undefined : new Map([[topic.id, key]]) },
  );
}
