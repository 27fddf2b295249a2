/**
 * Topic key copies on the client (protocol.md §5.4): a copy sealed and signed by a topic member opens to the
 * key; one signed by a non-member, with a signature that is not the sealer's, sealed to someone else, or
 * whose key does not hash to its `keyId` is discarded.
 */
import { describe, expect, it } from "vitest";
import { newTopicKey, openTopicKeyCopy, sealTopicKeyCopy } from "../../src/client/index.js";
import { encryptForTarget } from "../../src/client/push-crypto.js";
import { decryptMulticast, generateIdentity, sealTo, sign, topicKeyId } from "../../src/crypto/index.js";
import { topicSealCanonical } from "../../src/protocol/canonical.js";

const meshId = "mesh-1";
const topicId = "topic-1";

function setup() {
  const sealer = generateIdentity();
  const me = generateIdentity();
  const key = newTopicKey();
  const copy = sealTopicKeyCopy(
    { meshId, topicId, recipientPubkey: me.publicKey, topicKey: key },
    { secretKey: sealer.secretKey },
  );
  const reply = { topicId, sealedBy: sealer.publicKey, ...copy };
  const open = (r: typeof reply, members = new Set([sealer.publicKey, me.publicKey])) =>
    openTopicKeyCopy(r, {
      meshId,
      memberPubkey: me.publicKey,
      memberSecretKey: me.secretKey,
      topicMemberPubkeys: members,
    });
  return { sealer, me, key, copy, reply, open };
}

describe("topic key copies", () => {
  it("a good copy opens to the key it names", () => {
    const { key, copy, reply, open } = setup();
    expect(copy.keyId).toBe(topicKeyId(key));
    expect(open(reply)).toEqual(key);
  });

  it("discards a copy sealed by a non-member, badly signed, for another topic, or with a wrong key id", () => {
    const { sealer, me, reply, open } = setup();
    expect(open(reply, new Set([me.publicKey]))).toBeNull();
    expect(open({ ...reply, sealSig: "0".repeat(128) })).toBeNull();
    expect(open({ ...reply, topicId: "topic-2" })).toBeNull();
    // Signed, but over a key id the sealed key does not hash to.
    const other = newTopicKey();
    const sealedKey = sealTo(other, me.publicKey);
    const sealSig = sign(
      topicSealCanonical({
        meshId,
        topicId,
        recipientMemberPubkey: me.publicKey,
        keyId: reply.keyId,
        sealedKey,
      }),
      sealer.secretKey,
    );
    expect(open({ ...reply, sealedKey, sealSig })).toBeNull();
    const forSomeoneElse = sealTopicKeyCopy(
      { meshId, topicId, recipientPubkey: sealer.publicKey, topicKey: other },
      { secretKey: sealer.secretKey },
    );
    expect(open({ ...reply, ...forSomeoneElse })).toBeNull();
  });

  it("topic bodies are bodyVersion 2 under the topic key, and need one", () => {
    const key = newTopicKey();
    const body = encryptForTarget("hello topic", "#general", new Uint8Array(32), key);
    expect(body.bodyVersion).toBe(2);
    expect(decryptMulticast(body.ciphertext, body.nonce, key)).toBe("hello topic");
    expect(() => encryptForTarget("x", "#general", new Uint8Array(32))).toThrow(/no topic key/);
  });
});
