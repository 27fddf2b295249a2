/**
 * topics (protocol.md §6.4) and topic keys (§5.4) against a real broker with raw peers: `general` at mesh
 * creation and invite claim, create / list / join / leave / members / history / mark read, posting with
 * `#topic` (history + one delivery per other member, never to non-members, never `no_recipient`), the
 * atomic key claim, sealing copies for newcomers with `topic_key_needed` / `topic_key_available`, and
 * coded errors.
 */
import { describe, expect, it } from "vitest";
import {
  decryptMulticast,
  encryptMulticast,
  openTopicKey,
  randomBytes,
  sealTo,
  sign,
  topicKeyId,
} from "../../src/crypto/index.js";
import { topicSealCanonical } from "../../src/protocol/canonical.js";
import {
  addMember,
  connectMember,
  meshWith,
  useBroker,
  type RawPeer,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";

const broker = useBroker();
const KEYS = ["client_ack", "topic_keys", "ok_replies"];

function setup(...names: string[]): Promise<{ mesh: TestMesh; m: Record<string, TestMember> }> {
  return meshWith(broker(), names, (n) => (n.startsWith("admin") ? "admin" : "member"));
}

function connect(mesh: TestMesh, member: TestMember): Promise<RawPeer> {
  return connectMember(broker().url, mesh.meshId, member, { capabilities: KEYS });
}

/** A sealed, signed copy of `key` for `recipient`, made by `sealer` (§5.4). */
function copyFor(mesh: TestMesh, topicId: string, key: Uint8Array, recipient: string, sealer: TestMember) {
  const keyId = topicKeyId(key);
  const sealedKey = sealTo(key, recipient);
  const sealSig = sign(
    topicSealCanonical({ meshId: mesh.meshId, topicId, recipientMemberPubkey: recipient, keyId, sealedKey }),
    sealer.secretKey,
  );
  return { keyId, sealedKey, sealSig };
}

async function createKeyed(peer: RawPeer, mesh: TestMesh, me: TestMember, name: string, extra = {}) {
  const created = await peer.request({ type: "topic_create", name, ...extra });
  expect(created).toMatchObject({ type: "topic_created", created: true });
  const topicId = (created.topic as { id: string }).id;
  const key = randomBytes(32);
  const claimed = await peer.request({
    type: "topic_key_claim",
    topic: topicId,
    ...copyFor(mesh, topicId, key, me.pubkey, me),
  });
  expect(claimed).toMatchObject({ type: "topic_key_claimed", topic: name, topicId, keyId: topicKeyId(key) });
  return { topicId, key };
}

describe.concurrent("topics", () => {
  it("every mesh has a public general topic with its owner and each member who joins by invite", async () => {
    const { mesh, m } = await setup("alice");
    const owner = await connect(mesh, mesh.owner);
    const list = await owner.request({ type: "topic_list" });
    expect(list.topics).toEqual([
      {
        id: expect.any(String),
        name: "general",
        description: "",
        visibility: "public",
        memberCount: 2,
        createdAt: expect.any(String),
        joined: true,
        unread: 0,
        keyId: null,
      },
    ]);
    const members = await owner.request({ type: "topic_members", topic: "general" });
    expect(
      (members.members as Array<{ displayName: string; role: string }>).map((x) => [x.displayName, x.role]),
    ).toEqual([
      ["owner", "lead"],
      [m.alice!.displayName, "member"],
    ]);
  });

  it("create is idempotent on name, lists private topics only to members, and never stays silent", async () => {
    const { mesh, m } = await setup("alice", "bob");
    const alice = await connect(mesh, m.alice!);
    const bob = await connect(mesh, m.bob!);
    const first = await alice.request({
      type: "topic_create",
      name: "ops",
      description: "on call",
      visibility: "private",
    });
    expect(first).toMatchObject({
      type: "topic_created",
      created: true,
      topic: { name: "ops", visibility: "private" },
    });
    const again = await bob.request({ type: "topic_create", name: "ops" });
    expect(again).toMatchObject({ type: "topic_created", topic: first.topic, created: false });
    expect((await bob.request({ type: "topic_list" })).topics).toEqual([
      expect.objectContaining({ name: "general" }),
    ]);
    const aliceList = (await alice.request({ type: "topic_list" })).topics as Array<{ name: string }>;
    expect(aliceList.map((t) => t.name)).toEqual(["general", "ops"]);
    const bad = await alice.request({ type: "topic_create", name: "-Bad Name" });
    expect(bad).toMatchObject({ type: "error", code: "invalid_message" });
    // Metadata only in the audit log: who made, joined and left which topic.
    await bob.request({ type: "topic_join", topic: "general" });
    await bob.request({ type: "topic_leave", topic: "general" });
    const owner = await connect(mesh, mesh.owner);
    const audit = await owner.request({ type: "audit_query" });
    const topicEntries = (audit.entries as Array<{ action: string; target: string; actorName: string }>)
      .filter((e) => e.action.startsWith("topic."))
      .map((e) => [e.action, e.target, e.actorName]);
    expect(topicEntries).toEqual(
      expect.arrayContaining([
        ["topic.created", "ops", "alice"],
        ["topic.left", "general", "bob"],
      ]),
    );
    expect(topicEntries.filter(([action]) => action === "topic.created")).toHaveLength(1);
  });

  it("posts reach every other topic member (online now or later), land in history, and never reach non-members", async () => {
    const { mesh, m } = await setup("alice", "bob", "carol");
    const alice = await connect(mesh, m.alice!);
    const bob = await connect(mesh, m.bob!);
    const carol = await connect(mesh, m.carol!);
    const { topicId, key } = await createKeyed(alice, mesh, m.alice!, "design", { visibility: "private" });
    // Bob is added by the lead; carol is not a member.
    expect(await alice.request({ type: "topic_join", topic: "design", member: m.bob!.pubkey })).toMatchObject(
      { type: "ok" },
    );
    expect(await carol.request({ type: "topic_join", topic: "design" })).toMatchObject({
      type: "error",
      code: "forbidden",
    });

    const body = encryptMulticast("the plan", key);
    const ack = await alice.sendMessage({ targetSpec: `#${topicId}`, ...body });
    expect(ack).toMatchObject({ type: "ack", queued: true, recipientOnline: true });
    const push = await bob.waitForPush(ack.messageId as string);
    expect(push).toMatchObject({ topicId, topic: "design", bodyVersion: 2, targetSpec: `#${topicId}` });
    expect(decryptMulticast(push.ciphertext as string, push.nonce as string, key)).toBe("the plan");
    const byName = await alice.sendMessage({ targetSpec: "#design", ...encryptMulticast("second", key) });
    await bob.waitForPush(byName.messageId as string);
    // A reply in a topic answers a message of that topic.
    const reply = await bob.sendMessage({
      targetSpec: "#design",
      replyToId: ack.messageId,
      ...encryptMulticast("re: the plan", key),
    });
    expect(reply).toMatchObject({ queued: true });
    const strayReply = await bob.sendMessage({
      targetSpec: "#design",
      replyToId: "A".repeat(32),
      ...encryptMulticast("re: nothing", key),
    });
    expect(strayReply).toMatchObject({ queued: false, error: expect.stringMatching(/^invalid: replyToId/) });
    await alice.waitForPush(reply.messageId as string);
    await carol.expectNone((f) => f.type === "push" && f.topicId === topicId, 300);
    await alice.expectNone(
      (f) => f.type === "push" && f.topicId === topicId && f.senderName === "alice",
      100,
    );

    // A non-member cannot post to a private topic, nor read it.
    const refused = await carol.sendMessage({ targetSpec: "#design", ...encryptMulticast("hi", key) });
    expect(refused).toMatchObject({ queued: false, error: expect.stringMatching(/^forbidden:/) });
    expect(await carol.request({ type: "topic_history", topic: "design" })).toMatchObject({
      code: "forbidden",
    });

    // Offline member: bob leaves the socket, a post is queued, bob gets it on return.
    bob.close();
    const later = await alice.sendMessage({ targetSpec: "#design", ...encryptMulticast("while away", key) });
    expect(later).toMatchObject({ queued: true });
    const back = await connect(mesh, m.bob!);
    await back.waitForPush(later.messageId as string);

    const history = await back.request({ type: "topic_history", topic: "design", limit: 2 });
    const msgs = history.messages as Array<Record<string, unknown>>;
    expect(msgs.map((x) => x.id)).toEqual([later.messageId, reply.messageId]);
    expect(msgs[0]).toMatchObject({ senderMemberId: m.alice!.memberId, senderName: "alice", bodyVersion: 2 });
    const older = await back.request({ type: "topic_history", topic: topicId, beforeId: reply.messageId });
    expect((older.messages as Array<{ id: string }>).map((x) => x.id)).toEqual([
      byName.messageId,
      ack.messageId,
    ]);
    expect(msgs[1]).toMatchObject({ replyToId: ack.messageId });

    const list = (await back.request({ type: "topic_list" })).topics as Array<{
      name: string;
      unread: number;
    }>;
    expect(list.find((t) => t.name === "design")?.unread).toBe(3);
    expect(await back.request({ type: "topic_mark_read", topic: "design" })).toMatchObject({ type: "ok" });
    const after = (await back.request({ type: "topic_list" })).topics as Array<{
      name: string;
      unread: number;
    }>;
    expect(after.find((t) => t.name === "design")?.unread).toBe(0);
  });

  it("a topic with no other member still accepts posts (queued, recipientOnline false)", async () => {
    const { mesh, m } = await setup("alice");
    const alice = await connect(mesh, m.alice!);
    await alice.request({ type: "topic_create", name: "solo" });
    const ack = await alice.sendMessage({ targetSpec: "#solo", ciphertext: "aGk=", bodyVersion: 1 });
    expect(ack).toMatchObject({ queued: true, recipientOnline: false });
    const missing = await alice.sendMessage({ targetSpec: "#nope", ciphertext: "aGk=", bodyVersion: 1 });
    expect(missing).toMatchObject({ queued: false, error: expect.stringMatching(/^no_recipient:/) });
  });

  it("two concurrent key claims set one key; the loser gets key_already_set naming it", async () => {
    const { mesh, m } = await setup("alice", "bob");
    const alice = await connect(mesh, m.alice!);
    const bob = await connect(mesh, m.bob!);
    const { id: generalId } = (
      (await alice.request({ type: "topic_list" })).topics as Array<{ id: string }>
    )[0]!;
    const keys = [randomBytes(32), randomBytes(32)];
    const replies = await Promise.all([
      alice.request({
        type: "topic_key_claim",
        topic: "general",
        ...copyFor(mesh, generalId, keys[0]!, m.alice!.pubkey, m.alice!),
      }),
      bob.request({
        type: "topic_key_claim",
        topic: "general",
        ...copyFor(mesh, generalId, keys[1]!, m.bob!.pubkey, m.bob!),
      }),
    ]);
    const won = replies.filter((r) => r.type === "topic_key_claimed");
    expect(won).toHaveLength(1);
    const lost = replies.find((r) => r.type === "error")!;
    expect(lost.code).toBe("key_already_set");
    expect(lost.message).toContain(won[0]!.keyId as string);
  });

  it("a newcomer gets a copy sealed by a holder: key_needed to the holder, key_available to the newcomer", async () => {
    const { mesh, m } = await setup("alice");
    const alice = await connect(mesh, m.alice!);
    const { id: generalId } = (
      (await alice.request({ type: "topic_list" })).topics as Array<{ id: string }>
    )[0]!;
    const key = randomBytes(32);
    await alice.request({
      type: "topic_key_claim",
      topic: "general",
      ...copyFor(mesh, generalId, key, m.alice!.pubkey, m.alice!),
    });
    const before = await alice.sendMessage({
      targetSpec: "#general",
      ...encryptMulticast("before you came", key),
    });

    const since = alice.mark();
    const dave = await addMember(broker(), mesh, "dave");
    const needed = await alice.waitForEvent("topic_key_needed", { since });
    expect(needed.eventData).toEqual({ topicId: generalId, topic: "general", memberPubkey: dave.pubkey });
    // The owner never got a copy either (its daemon would have sealed one); dave is the newcomer.
    const pending = (await alice.request({ type: "topic_pending_seals" })).pending as Array<{
      memberId: string;
    }>;
    expect(pending.find((p) => p.memberId === dave.memberId)).toEqual({
      topicId: generalId,
      topic: "general",
      memberId: dave.memberId,
      memberPubkey: dave.pubkey,
      keyId: topicKeyId(key),
    });

    const davePeer = await connect(mesh, dave);
    expect(await davePeer.request({ type: "topic_key_get", topic: "general" })).toMatchObject({
      code: "key_not_sealed",
    });
    const daveSince = davePeer.mark();
    const copy = copyFor(mesh, generalId, key, dave.pubkey, m.alice!);
    // Checks: a wrong key id, a bad signature, a non-holder.
    expect(
      await alice.request({
        type: "topic_key_seal",
        topic: "general",
        memberPubkey: dave.pubkey,
        ...copy,
        keyId: "0".repeat(16),
      }),
    ).toMatchObject({ code: "invalid" });
    expect(
      await alice.request({
        type: "topic_key_seal",
        topic: "general",
        memberPubkey: dave.pubkey,
        ...copy,
        sealSig: "0".repeat(128),
      }),
    ).toMatchObject({ code: "invalid" });
    expect(
      await davePeer.request({
        type: "topic_key_seal",
        topic: "general",
        memberPubkey: dave.pubkey,
        ...copy,
      }),
    ).toMatchObject({ code: "forbidden" });
    const sealed = await alice.request({
      type: "topic_key_seal",
      topic: "general",
      memberPubkey: dave.pubkey,
      ...copy,
    });
    expect(sealed).toMatchObject({
      type: "topic_key_seal_ack",
      topic: "general",
      topicId: generalId,
      memberPubkey: dave.pubkey,
    });
    const available = await davePeer.waitForEvent("topic_key_available", { since: daveSince });
    expect(available.eventData).toEqual({ topicId: generalId, topic: "general" });

    const got = await davePeer.request({ type: "topic_key_get", topic: "general" });
    expect(got).toMatchObject({
      type: "topic_key",
      topicId: generalId,
      keyId: topicKeyId(key),
      sealedBy: m.alice!.pubkey,
    });
    const opened = openTopicKey(got.sealedKey as string, got.keyId as string, dave.pubkey, dave.secretKey);
    expect(opened).not.toBeNull();
    const history = await davePeer.request({ type: "topic_history", topic: "general" });
    const [first] = history.messages as Array<{ id: string; nonce: string; ciphertext: string }>;
    expect(first!.id).toBe(before.messageId);
    expect(decryptMulticast(first!.ciphertext, first!.nonce, opened!)).toBe("before you came");
    const left = (await alice.request({ type: "topic_pending_seals" })).pending as Array<{
      memberId: string;
    }>;
    expect(left.map((p) => p.memberId)).toEqual([mesh.owner.memberId]);
    // A second copy for the same member is refused.
    expect(
      await alice.request({ type: "topic_key_seal", topic: "general", memberPubkey: dave.pubkey, ...copy }),
    ).toMatchObject({ code: "forbidden" });
  });

  it("join, leave and members of public topics; coded errors for unknown topics", async () => {
    const { mesh, m } = await setup("alice", "bob");
    const alice = await connect(mesh, m.alice!);
    const bob = await connect(mesh, m.bob!);
    await alice.request({ type: "topic_create", name: "random" });
    expect(await bob.request({ type: "topic_join", topic: "random", role: "lead" })).toMatchObject({
      type: "ok",
    });
    const members = (await bob.request({ type: "topic_members", topic: "random" })).members as Array<{
      displayName: string;
      role: string;
    }>;
    expect(members.map((x) => [x.displayName, x.role])).toEqual([
      ["alice", "lead"],
      ["bob", "member"],
    ]);
    expect(await bob.request({ type: "topic_leave", topic: "random" })).toMatchObject({ type: "ok" });
    expect(
      ((await bob.request({ type: "topic_members", topic: "random" })).members as unknown[]).length,
    ).toBe(1);
    for (const type of ["topic_join", "topic_leave", "topic_members", "topic_history", "topic_key_get"]) {
      expect(await bob.request({ type, topic: "missing" })).toMatchObject({
        type: "error",
        code: "topic_not_found",
      });
    }
    expect(await bob.request({ type: "topic_key_get", topic: "random" })).toMatchObject({
      code: "forbidden",
    });
    expect(await alice.request({ type: "topic_key_get", topic: "random" })).toMatchObject({
      code: "topic_unencrypted",
    });
    expect(await alice.request({ type: "topic_history", topic: "random", limit: 201 })).toMatchObject({
      code: "invalid_message",
    });
  });
});
