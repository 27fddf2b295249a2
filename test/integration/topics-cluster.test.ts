/**
 * Topics across three broker nodes on one PostgreSQL database (protocol.md §4.14, §5.4, §6.4): concurrent
 * key claims from every node set one key; `topic_key_needed` reaches a holder on another node when a
 * member joins by invite, and `topic_key_available` reaches the newcomer on a third; a post accepted on one
 * node reaches topic members on the others and never a non-member of a private topic.
 * Skipped without `TEST_DATABASE_URL`.
 */
import { describe, expect, it } from "vitest";
import { encryptMulticast, randomBytes, sealTo, sign, topicKeyId } from "../../src/crypto/index.js";
import { topicSealCanonical } from "../../src/protocol/canonical.js";
import { addMember, connectMember, meshWith, type TestMember, type TestMesh } from "../helpers/broker.js";
import { useCluster } from "../helpers/cluster.js";
import { postgresAvailable } from "../helpers/postgres.js";

const CAPS = ["client_ack", "topic_keys", "ok_replies"];

function copyFor(mesh: TestMesh, topicId: string, key: Uint8Array, recipient: string, sealer: TestMember) {
  const keyId = topicKeyId(key);
  const sealedKey = sealTo(key, recipient);
  const canonical = topicSealCanonical({
    meshId: mesh.meshId,
    topicId,
    recipientMemberPubkey: recipient,
    keyId,
    sealedKey,
  });
  return { keyId, sealedKey, sealSig: sign(canonical, sealer.secretKey) };
}

describe.skipIf(!postgresAvailable("topics cluster"))("topics on three nodes", () => {
  const { node } = useCluster("cm_topics");

  it("concurrent key claims from every node set exactly one key", async () => {
    const names = ["a", "b", "c", "d", "e", "f"];
    const { mesh, m } = await meshWith(node(0), names);
    const peers = await Promise.all(
      names.map((n, i) => connectMember(node(i % 3).url, mesh.meshId, m[n]!, { capabilities: CAPS })),
    );
    const { topics } = await peers[0]!.request({ type: "topic_list" });
    const generalId = (topics as Array<{ id: string }>)[0]!.id;
    const replies = await Promise.all(
      peers.map((p, i) =>
        p.request({
          type: "topic_key_claim",
          topic: "general",
          ...copyFor(mesh, generalId, randomBytes(32), m[names[i]!]!.pubkey, m[names[i]!]!),
        }),
      ),
    );
    const won = replies.filter((r) => r.type === "topic_key_claimed");
    expect(won).toHaveLength(1);
    const lost = replies.filter((r) => r.type === "error");
    expect(lost).toHaveLength(names.length - 1);
    for (const r of lost) {
      expect(r.code).toBe("key_already_set");
      expect(r.message).toContain(won[0]!.keyId as string);
    }
  });

  it("key_needed reaches a holder on another node; key_available reaches the newcomer on a third", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice"]);
    const alice = await connectMember(node(1).url, mesh.meshId, m.alice!, { capabilities: CAPS });
    // A presence without the capability never hears the topic-key pushes.
    const plain = await connectMember(node(2).url, mesh.meshId, m.alice!, { capabilities: ["client_ack"] });
    const { topics } = await alice.request({ type: "topic_list" });
    const generalId = (topics as Array<{ id: string }>)[0]!.id;
    const key = randomBytes(32);
    await alice.request({
      type: "topic_key_claim",
      topic: "general",
      ...copyFor(mesh, generalId, key, m.alice!.pubkey, m.alice!),
    });

    const since = alice.mark();
    const dave = await addMember(node(0), mesh, "dave");
    const needed = await alice.waitForEvent("topic_key_needed", { since });
    expect(needed.eventData).toEqual({ topicId: generalId, topic: "general", memberPubkey: dave.pubkey });
    const davePeer = await connectMember(node(2).url, mesh.meshId, dave, { capabilities: CAPS });
    const daveSince = davePeer.mark();
    await alice.request({
      type: "topic_key_seal",
      topic: generalId,
      memberPubkey: dave.pubkey,
      ...copyFor(mesh, generalId, key, dave.pubkey, m.alice!),
    });
    const available = await davePeer.waitForEvent("topic_key_available", { since: daveSince });
    expect(available.eventData).toEqual({ topicId: generalId, topic: "general" });
    await plain.expectNone((f) => f.event === "topic_key_needed" || f.event === "topic_key_available", 300);
  });

  it("a post on one node reaches topic members on the others, never a non-member", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob", "carol"]);
    const alice = await connectMember(node(0).url, mesh.meshId, m.alice!, { capabilities: CAPS });
    const bob = await connectMember(node(1).url, mesh.meshId, m.bob!, { capabilities: CAPS });
    const carol = await connectMember(node(2).url, mesh.meshId, m.carol!, { capabilities: CAPS });
    const created = await alice.request({ type: "topic_create", name: "ops", visibility: "private" });
    const topicId = (created.topic as { id: string }).id;
    await alice.request({ type: "topic_join", topic: "ops", member: m.bob!.pubkey });
    const ack = await alice.sendMessage({ targetSpec: "#ops", ...encryptMulticast("x", randomBytes(32)) });
    expect(ack).toMatchObject({ queued: true, recipientOnline: true });
    expect(await bob.waitForPush(ack.messageId as string)).toMatchObject({ topicId, topic: "ops" });
    await carol.expectNone((f) => f.type === "push" && f.topicId === topicId, 500);
  });
});
