import { describe, expect, it } from "vitest";
import type { Store, TopicKeyCopy, TopicRow } from "../../../src/broker/store/port/index.js";
import type { ContractContext } from "./context.js";
import { T0, message, seedMesh, seedTwoMembers, sender, toMemberDelivery, uid } from "./fixtures.js";

export function newTopic(meshId: string, overrides: Partial<TopicRow> = {}): TopicRow {
  return {
    id: uid("topic"),
    meshId,
    name: uid("t").toLowerCase().slice(0, 20),
    description: "",
    visibility: "public",
    createdByMemberId: null,
    createdAt: T0,
    keyId: null,
    ...overrides,
  };
}

export function keyCopy(
  topicId: string,
  memberId: string,
  overrides: Partial<TopicKeyCopy> = {},
): TopicKeyCopy {
  return {
    topicId,
    memberId,
    keyId: "0123456789abcdef",
    sealedKey: "c2VhbGVk",
    sealedBy: "ab".repeat(32),
    sealSig: "cd".repeat(64),
    createdAt: T0,
    ...overrides,
  };
}

/** A post to a topic: its message row (the history) and one delivery per other member. */
async function post(store: Store, topicId: string, from: Parameters<typeof sender>[0], at: number) {
  const m = message(sender(from), { targetSpec: `#${topicId}`, topicId, bodyVersion: 2, createdAt: at });
  await store.acceptMessages([{ message: m, deliveries: [], idempotency: null }]);
  return m;
}

export function topicsContract(ctx: ContractContext): void {
  describe("topics", () => {
    it("creates a topic once per name, with its lead and the lead's key copy", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const topic = newTopic(mesh.id, { name: "infra", keyId: "0123456789abcdef", createdByMemberId: a.id });
      const first = await store.createTopic(topic, { memberId: a.id, joinedAt: T0 }, keyCopy(topic.id, a.id));
      expect(first).toEqual({ topic, created: true });
      const again = await store.createTopic(
        newTopic(mesh.id, { name: "infra" }),
        { memberId: mesh.owner.id, joinedAt: T0 },
        null,
      );
      expect(again).toEqual({ topic, created: false });
      expect((await store.listTopicMembers(topic.id)).map((m) => [m.memberId, m.role, m.hasKey])).toEqual([
        [a.id, "lead", true],
      ]);
      expect(await store.getTopicKeyCopy(topic.id, a.id)).toEqual(keyCopy(topic.id, a.id));
      // The same name in another mesh is another topic; lookups never cross meshes.
      const other = await seedMesh(store, 0);
      expect((await store.createTopic(newTopic(other.id, { name: "infra" }), null, null)).created).toBe(true);
      expect(await store.findTopic(other.id, topic.id)).toBeNull();
      expect(await store.findTopic(mesh.id, "infra")).toEqual(topic);
      expect(await store.findTopic(mesh.id, topic.id)).toEqual(topic);
      expect(await store.findTopic(mesh.id, "missing")).toBeNull();
    });

    it("lists public topics and the private ones of the member, with counts and unread", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const pub = newTopic(mesh.id, { name: "a-public" });
      const priv = newTopic(mesh.id, { name: "b-private", visibility: "private" });
      await store.createTopic(pub, { memberId: a.id, joinedAt: T0 }, null);
      await store.createTopic(priv, { memberId: a.id, joinedAt: T0 }, null);
      expect(await store.addTopicMember(pub.id, b.id, "member", T0 + 1)).toBe(true);
      expect(await store.addTopicMember(pub.id, b.id, "lead", T0 + 2)).toBe(false);
      await post(store, pub.id, a, T0 + 10);
      await post(store, pub.id, a, T0 + 11);
      await post(store, pub.id, b, T0 + 12);

      const forA = await store.listTopics(mesh.id, a.id);
      expect(forA.map((t) => [t.name, t.memberCount, t.joined, t.unread])).toEqual([
        ["a-public", 2, true, 1],
        ["b-private", 1, true, 0],
      ]);
      const forB = await store.listTopics(mesh.id, b.id);
      expect(forB.map((t) => [t.name, t.joined, t.unread])).toEqual([["a-public", true, 2]]);
      const forOwner = await store.listTopics(mesh.id, mesh.owner.id);
      expect(forOwner.map((t) => [t.name, t.joined, t.unread])).toEqual([["a-public", false, 0]]);

      expect(await store.markTopicRead(pub.id, b.id, T0 + 11)).toBe(true);
      expect((await store.listTopics(mesh.id, b.id))[0]?.unread).toBe(0);
      expect(await store.markTopicRead(pub.id, mesh.owner.id, T0)).toBe(false);
      expect((await store.getTopicMember(pub.id, b.id))?.lastReadAt).toBe(T0 + 11);
    });

    it("adds and removes members; revoked members drop out of the member list", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const topic = newTopic(mesh.id);
      await store.createTopic(topic, { memberId: a.id, joinedAt: T0 }, null);
      await store.addTopicMember(topic.id, b.id, "observer", T0 + 1);
      expect(await store.getTopicMember(topic.id, b.id)).toEqual({
        topicId: topic.id,
        memberId: b.id,
        pubkey: b.pubkey,
        displayName: b.displayName,
        role: "observer",
        joinedAt: T0 + 1,
        lastReadAt: null,
        hasKey: false,
      });
      await store.setMemberRevoked(b.id, T0 + 2, "banned");
      expect((await store.listTopicMembers(topic.id)).map((m) => m.memberId)).toEqual([a.id]);
      expect(await store.removeTopicMember(topic.id, a.id)).toBe(true);
      expect(await store.removeTopicMember(topic.id, a.id)).toBe(false);
      expect(await store.getTopicMember(topic.id, a.id)).toBeNull();
    });

    it("pages history newest first with beforeId, only the topic's messages", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const topic = newTopic(mesh.id);
      const other = newTopic(mesh.id);
      await store.createTopic(topic, null, null);
      await store.createTopic(other, null, null);
      const posts = [];
      for (let i = 0; i < 5; i++) posts.push(await post(store, topic.id, a, T0 + i));
      await post(store, other.id, a, T0 + 9);
      // A DM is not history.
      await store.acceptMessages([
        { message: message(sender(a)), deliveries: [toMemberDelivery(mesh.owner)], idempotency: null },
      ]);

      const page = await store.topicHistory(topic.id, 3, null);
      expect(page.map((m) => m.id)).toEqual([posts[4]!.id, posts[3]!.id, posts[2]!.id]);
      expect(page[0]).toEqual(posts[4]);
      const next = await store.topicHistory(topic.id, 3, posts[2]!.id);
      expect(next.map((m) => m.id)).toEqual([posts[1]!.id, posts[0]!.id]);
      expect(await store.topicHistory(topic.id, 3, "not-a-message")).toEqual([]);
      expect(await store.topicHistory(other.id, 50, posts[2]!.id)).toEqual([]);
      expect(await store.isTopicMessage(topic.id, posts[0]!.id)).toBe(true);
      expect(await store.isTopicMessage(other.id, posts[0]!.id)).toBe(false);
      expect(await store.isTopicMessage(topic.id, "not-a-message")).toBe(false);
    });

    it("claims a key once; the loser learns the winning key id", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const topic = newTopic(mesh.id);
      await store.createTopic(topic, { memberId: a.id, joinedAt: T0 }, null);
      await store.addTopicMember(topic.id, b.id, "member", T0);
      const results = await Promise.all([
        store.claimTopicKey(keyCopy(topic.id, a.id, { keyId: "aaaaaaaaaaaaaaaa" })),
        store.claimTopicKey(keyCopy(topic.id, b.id, { keyId: "bbbbbbbbbbbbbbbb" })),
      ]);
      const winners = results.filter((r) => r.won);
      expect(winners).toHaveLength(1);
      const winnerKey = results[0]!.won ? "aaaaaaaaaaaaaaaa" : "bbbbbbbbbbbbbbbb";
      expect(results.find((r) => !r.won)).toEqual({ won: false, keyId: winnerKey });
      expect((await store.findTopic(mesh.id, topic.id))?.keyId).toBe(winnerKey);
      expect(await store.topicKeyHolders(topic.id)).toHaveLength(1);
    });

    it("stores one copy per member and lists the members still waiting for one", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const keyed = newTopic(mesh.id, { name: "keyed", keyId: "0123456789abcdef" });
      await store.createTopic(keyed, { memberId: a.id, joinedAt: T0 }, keyCopy(keyed.id, a.id));
      await store.addTopicMember(keyed.id, b.id, "member", T0 + 1);
      await store.addTopicMember(keyed.id, mesh.owner.id, "member", T0 + 2);
      const keyless = newTopic(mesh.id, { name: "keyless" });
      await store.createTopic(keyless, { memberId: a.id, joinedAt: T0 }, null);
      await store.addTopicMember(keyless.id, b.id, "member", T0);

      const pending = await store.pendingSeals(mesh.id, a.id, null);
      expect(pending).toEqual([
        {
          topicId: keyed.id,
          topic: "keyed",
          keyId: "0123456789abcdef",
          memberId: b.id,
          memberPubkey: b.pubkey,
        },
        {
          topicId: keyed.id,
          topic: "keyed",
          keyId: "0123456789abcdef",
          memberId: mesh.owner.id,
          memberPubkey: mesh.owner.pubkey,
        },
      ]);
      // Only holders see who waits; a filter by topic narrows it.
      expect(await store.pendingSeals(mesh.id, b.id, null)).toEqual([]);
      expect(await store.pendingSeals(mesh.id, a.id, keyless.id)).toEqual([]);

      expect(await store.putTopicKeyCopy(keyCopy(keyed.id, b.id, { sealedKey: "Zmlyc3Q=" }))).toBe(true);
      expect(await store.putTopicKeyCopy(keyCopy(keyed.id, b.id, { sealedKey: "c2Vjb25k" }))).toBe(false);
      expect((await store.getTopicKeyCopy(keyed.id, b.id))?.sealedKey).toBe("Zmlyc3Q=");
      expect((await store.pendingSeals(mesh.id, b.id, keyed.id)).map((p) => p.memberId)).toEqual([
        mesh.owner.id,
      ]);
      expect((await store.topicKeyHolders(keyed.id)).sort()).toEqual([a.id, b.id].sort());
      expect(await store.getTopicKeyCopy(keyed.id, mesh.owner.id)).toBeNull();
    });
  });
}
