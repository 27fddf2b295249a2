/**
 * Presence lifecycle (protocol.md §3.2, §3.6; must-never-happen 33, 34, 36-38): `bye` evicts at once,
 * an unannounced drop keeps its 90 s grace (still listed, no peer_left, silent reattach), session
 * replacement, and who hears about whose arrival.
 */
import { describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/index.js";
import {
  RawPeer,
  connectMember,
  connectSession,
  memberHello,
  meshWith,
  sessionHello,
  useBroker,
  type Frame,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";

const broker = useBroker();

async function setup(): Promise<{ mesh: TestMesh; alice: TestMember; bob: TestMember }> {
  const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
  return { mesh, alice: m.alice!, bob: m.bob! };
}

const listed = (peers: Frame, key: string) => (peers.peers as Frame[]).some((p) => p.pubkey === key);

describe.concurrent("leaving", () => {
  it("bye evicts at once: others get peer_left immediately and the peer is no longer listed", async () => {
    const { mesh, alice, bob } = await setup();
    const observer = await connectMember(broker().url, mesh.meshId, alice);
    const leaver = await connectMember(broker().url, mesh.meshId, bob, { sessionId: "bob-leaving" });
    const since = observer.mark();
    leaver.send({ type: "bye" });
    expect((await leaver.waitForClose()).code).toBe(1000);
    // Far inside the 90 s grace: only an immediate eviction announces it this soon.
    const left = await observer.waitForEvent("peer_left", { since, timeoutMs: 2_000 });
    expect(left.eventData).toMatchObject({ name: "bob", pubkey: bob.pubkey, memberPubkey: bob.pubkey });
    expect(listed(await observer.request({ type: "list_peers" }), bob.pubkey)).toBe(false);
  });

  it("an unannounced drop keeps the 90 s grace: still listed, no peer_left, a reattach is silent", async () => {
    const { mesh, alice, bob } = await setup();
    const observer = await connectMember(broker().url, mesh.meshId, alice);
    const dropper = await connectMember(broker().url, mesh.meshId, bob, { sessionId: "bob-flaky" });
    const arrived = await observer.waitForEvent("peer_joined");
    const since = observer.frames.indexOf(arrived) + 1;
    dropper.terminate();
    await dropper.closed;

    expect(listed(await observer.request({ type: "list_peers" }), bob.pubkey)).toBe(true);
    await observer.expectNone((f) => f.event === "peer_left", 3_000, since);
    expect(listed(await observer.request({ type: "list_peers" }), bob.pubkey)).toBe(true);

    // A DM sent while bob is in grace waits for the reattach.
    const queued = await observer.sendMessage({ targetSpec: bob.pubkey, ciphertext: "d2hpbGUgYXdheQ==" });
    const back = await RawPeer.connect(broker().url);
    const ack = await back.hello(memberHello(mesh.meshId, bob, { sessionId: "bob-flaky" }));
    expect(ack.type).toBe("hello_ack");
    expect(ack.restored).toBeUndefined();
    expect(ack.memberProfile).toBeUndefined();
    await back.waitForPush(queued.messageId as string);

    // No peer_joined for the reattach (and still no peer_left); the barrier orders it after any event.
    const barrier = await back.sendMessage({ targetSpec: alice.pubkey, ciphertext: "YmFycmllcg==" });
    await observer.waitForPush(barrier.messageId as string);
    await observer.expectNone((f) => f.event === "peer_joined" || f.event === "peer_left", 1_000, since);
    const peers = (await observer.request({ type: "list_peers" })).peers as Frame[];
    expect(peers.filter((p) => p.pubkey === bob.pubkey)).toHaveLength(1);
  });
});

describe.concurrent("replacement and announcements", () => {
  it("the same session key connecting again replaces the old socket with 1000 session_replaced", async () => {
    const { mesh, bob } = await setup();
    const key = generateIdentity();
    const old = await connectSession(broker().url, mesh.meshId, bob, key);
    const fresh = await RawPeer.connect(broker().url);
    expect((await fresh.hello(sessionHello(mesh.meshId, bob, key))).type).toBe("hello_ack");
    expect(await old.waitForClose()).toEqual({ code: 1000, reason: "session_replaced" });
    const peers = (await fresh.request({ type: "list_peers" })).peers as Frame[];
    expect(peers.filter((p) => p.pubkey === key.publicKey)).toHaveLength(1);
    expect(fresh.open).toBe(true);
  });

  it("session-id dedup never closes another member's presence with the same sessionId", async () => {
    const { mesh, alice, bob } = await setup();
    const a = await connectMember(broker().url, mesh.meshId, alice, { sessionId: "shared-id" });
    const b = await connectMember(broker().url, mesh.meshId, bob, { sessionId: "shared-id" });
    const again = await connectMember(broker().url, mesh.meshId, bob, { sessionId: "shared-id" });
    expect(await b.waitForClose()).toEqual({ code: 1000, reason: "session_replaced" });
    expect(a.open).toBe(true);
    expect(again.open).toBe(true);
  });

  it("sibling sessions hear peer_joined about each other; a member's own member-hello presences do not", async () => {
    const { mesh, alice, bob } = await setup();
    const other = await connectMember(broker().url, mesh.meshId, alice);
    const daemon = await connectMember(broker().url, mesh.meshId, bob, { sessionId: "bob-daemon" });
    const s1Key = generateIdentity();
    const s1 = await connectSession(broker().url, mesh.meshId, bob, s1Key);
    const [sinceDaemon, sinceS1, sinceOther] = [daemon.mark(), s1.mark(), other.mark()];
    const s2Key = generateIdentity();
    await connectSession(broker().url, mesh.meshId, bob, s2Key);
    const joinedS2 = (f: Frame) =>
      f.event === "peer_joined" && (f.eventData as Frame).pubkey === s2Key.publicKey;
    const joined = await s1.waitFor(joinedS2, { since: sinceS1 });
    expect(joined.eventData).toMatchObject({ memberPubkey: bob.pubkey, peerRole: "session" });
    await other.waitFor(joinedS2, { since: sinceOther });
    await daemon.waitFor(joinedS2, { since: sinceDaemon });

    // A second member-hello presence of bob: alice hears of it, bob's own presences do not.
    const [beforeDaemon, beforeS1, beforeOther] = [daemon.mark(), s1.mark(), other.mark()];
    const cli = await connectMember(broker().url, mesh.meshId, bob, { sessionId: "bob-cli" });
    const announced = await other.waitForEvent("peer_joined", { since: beforeOther });
    expect(announced.eventData).toMatchObject({ pubkey: bob.pubkey, peerRole: "control-plane" });
    // Barriers: a push on the same socket is written after any event the hello caused.
    const toS1 = await cli.sendMessage({ targetSpec: s1Key.publicKey, ciphertext: "eA==" });
    await s1.waitForPush(toS1.messageId as string);
    const toDaemon = await cli.sendMessage({ targetSpec: bob.pubkey, ciphertext: "eA==" });
    await daemon.waitForPush(toDaemon.messageId as string);
    expect(s1.events("peer_joined", beforeS1)).toEqual([]);
    expect(daemon.events("peer_joined", beforeDaemon)).toEqual([]);
  });
});
