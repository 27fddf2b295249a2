/**
 * Presence events as each connection asks for them (protocol.md §3.6): `peer_events` connections get at
 * most one coalesced push per tick, capped with an omitted count; connections that declared nothing get
 * the reference's one push per event; `no_peer_events` connections get none. The sibling rules hold in
 * every form.
 */
import { describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/index.js";
import { PEER_EVENTS_MAX_PER_FRAME } from "../../src/protocol/index.js";
import {
  connectMember,
  connectSession,
  meshWith,
  useBroker,
  type Frame,
  type RawPeer,
  type TestMember,
} from "../helpers/broker.js";

// Long enough that joins sent together always share a tick, short enough not to slow the file down.
const broker = useBroker({ presenceTickMs: 1_500 });

const COALESCED = ["client_ack", "peer_events"];
const NONE = ["client_ack", "no_peer_events"];

interface Coalesced {
  events: Array<Frame & { event: string; pubkey: string }>;
  omitted: number;
}

const coalescedFrames = (peer: RawPeer, since = 0): Coalesced[] =>
  peer.events("peer_events", since).map((f) => f.eventData as unknown as Coalesced);

/** Waits until the `peer_events` pushes since `since` hold an event matching `match`; returns them. */
async function waitForCoalesced(
  peer: RawPeer,
  since: number,
  match: (e: Coalesced["events"][number]) => boolean,
): Promise<Coalesced[]> {
  await peer.waitFor(
    (f) => f.event === "peer_events" && (f.eventData as unknown as Coalesced).events.some(match),
    { since, timeoutMs: 10_000 },
  );
  return coalescedFrames(peer, since);
}

/** A push from `from` to `to` that arrives after every frame already written to `to`. */
async function barrier(from: RawPeer, to: RawPeer, pubkey: string): Promise<void> {
  const ack = await from.sendMessage({ targetSpec: pubkey, ciphertext: "YmFycmllcg==" });
  await to.waitForPush(ack.messageId as string);
}

describe.concurrent("coalesced presence events", () => {
  it("joins in one tick reach a peer_events presence as one push; others get one push each or none", async () => {
    const names = ["watcher", "legacy", "quiet", "j1", "j2", "j3"];
    const { mesh, m } = await meshWith(broker(), names);
    const url = broker().url;
    const watcher = await connectMember(url, mesh.meshId, m.watcher!, { capabilities: COALESCED });
    const legacy = await connectMember(url, mesh.meshId, m.legacy!);
    const quiet = await connectMember(url, mesh.meshId, m.quiet!, { capabilities: NONE });
    await waitForCoalesced(watcher, 0, (e) => e.pubkey === m.quiet!.pubkey);
    const [sinceWatcher, sinceLegacy, sinceQuiet] = [watcher.mark(), legacy.mark(), quiet.mark()];
    const joiners = ["j1", "j2", "j3"].map((n) => m[n]!);
    const joined = await Promise.all(joiners.map((j) => connectMember(url, mesh.meshId, j)));

    const frames = await waitForCoalesced(watcher, sinceWatcher, (e) => e.pubkey === m.j3!.pubkey);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.omitted).toBe(0);
    expect(frames[0]!.events.map((e) => e.pubkey).sort()).toEqual(joiners.map((j) => j.pubkey).sort());
    expect(frames[0]!.events[0]).toMatchObject({
      event: "peer_joined",
      peerRole: "control-plane",
      groups: [],
    });

    for (const j of joiners) await legacy.waitFor(isJoinOf(j), { since: sinceLegacy });
    expect(legacy.events("peer_events", sinceLegacy)).toEqual([]);

    await barrier(joined[0]!, quiet, m.quiet!.pubkey);
    expect(quiet.frames.slice(sinceQuiet).filter((f) => f.subtype === "system")).toEqual([]);
  });

  it("a leave and a visibility change are coalesced too; a presence never hears of itself", async () => {
    const { mesh, m } = await meshWith(broker(), ["watcher", "mover"]);
    const url = broker().url;
    const watcher = await connectMember(url, mesh.meshId, m.watcher!, { capabilities: COALESCED });
    const mover = await connectMember(url, mesh.meshId, m.mover!, { capabilities: COALESCED });
    await waitForCoalesced(watcher, 0, (e) => e.pubkey === m.mover!.pubkey);
    const [sinceWatcher, sinceMover] = [watcher.mark(), mover.mark()];
    await mover.request({ type: "set_visible", visible: false });
    await mover.request({ type: "set_visible", visible: true });
    mover.send({ type: "bye" });
    await mover.waitForClose();

    const frames = await waitForCoalesced(watcher, sinceWatcher, (e) => e.event === "peer_left");
    const events = frames.flatMap((f) => f.events);
    expect(events.map((e) => e.event)).toEqual(["peer_hidden", "peer_visible", "peer_left"]);
    expect(events.every((e) => e.pubkey === m.mover!.pubkey)).toBe(true);
    expect(mover.events("peer_events", sinceMover)).toEqual([]);
  });

  it("beyond the cap a push shows the first events and counts the rest", async () => {
    const { mesh, m } = await meshWith(broker(), ["watcher", "toggler"]);
    const url = broker().url;
    const watcher = await connectMember(url, mesh.meshId, m.watcher!, { capabilities: COALESCED });
    const toggler = await connectMember(url, mesh.meshId, m.toggler!, {});
    await waitForCoalesced(watcher, 0, (e) => e.pubkey === m.toggler!.pubkey);
    const since = watcher.mark();
    const changes = PEER_EVENTS_MAX_PER_FRAME + 8;
    // Every change is a real one (hidden, visible, hidden, …), sent in one burst on one socket.
    const acks = Array.from({ length: changes }, (_, i) =>
      toggler.request({ type: "set_visible", visible: i % 2 === 1 }),
    );
    await Promise.all(acks);

    await watcher.waitFor(
      () => {
        const frames = coalescedFrames(watcher, since);
        return frames.reduce((n, f) => n + f.events.length + f.omitted, 0) >= changes;
      },
      { since, timeoutMs: 10_000 },
    );
    const frames = coalescedFrames(watcher, since);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.events).toHaveLength(PEER_EVENTS_MAX_PER_FRAME);
    expect(frames[0]!.omitted).toBe(changes - PEER_EVENTS_MAX_PER_FRAME);
    expect(frames[0]!.events.slice(0, 2).map((e) => e.event)).toEqual(["peer_hidden", "peer_visible"]);
  });

  it("sibling rules: sibling sessions hear of a session, a member's own presences not of its member hello", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const url = broker().url;
    const alice = await connectMember(url, mesh.meshId, m.alice!, { capabilities: COALESCED });
    const daemon = await connectMember(url, mesh.meshId, m.bob!, { capabilities: COALESCED, sessionId: "d" });
    const s1Key = generateIdentity();
    const s1 = await connectSession(url, mesh.meshId, m.bob!, s1Key, { capabilities: COALESCED });
    // Each socket is read on its own: wait until both have the push that announced s1.
    await waitForCoalesced(alice, 0, (e) => e.pubkey === s1Key.publicKey);
    await waitForCoalesced(daemon, 0, (e) => e.pubkey === s1Key.publicKey);

    const [sinceAlice, sinceDaemon, sinceS1] = [alice.mark(), daemon.mark(), s1.mark()];
    const s2Key = generateIdentity();
    const s2 = await connectSession(url, mesh.meshId, m.bob!, s2Key, { capabilities: COALESCED });
    for (const peer of [alice, daemon, s1]) {
      const since = peer === alice ? sinceAlice : peer === daemon ? sinceDaemon : sinceS1;
      const frames = await waitForCoalesced(peer, since, (e) => e.pubkey === s2Key.publicKey);
      expect(frames.flatMap((f) => f.events)).toEqual([
        expect.objectContaining({ event: "peer_joined", memberPubkey: m.bob!.pubkey, peerRole: "session" }),
      ]);
    }

    const [beforeDaemon, beforeS1, beforeS2] = [daemon.mark(), s1.mark(), s2.mark()];
    const beforeAlice = alice.mark();
    const cli = await connectMember(url, mesh.meshId, m.bob!, { sessionId: "bob-cli" });
    await waitForCoalesced(alice, beforeAlice, (e) => e.pubkey === m.bob!.pubkey);
    // Every recipient's push of a tick is written together: these barriers come after any of them.
    await barrier(cli, daemon, m.bob!.pubkey);
    await barrier(cli, s1, s1Key.publicKey);
    await barrier(cli, s2, s2Key.publicKey);
    expect(daemon.events("peer_events", beforeDaemon)).toEqual([]);
    expect(s1.events("peer_events", beforeS1)).toEqual([]);
    expect(s2.events("peer_events", beforeS2)).toEqual([]);
  });
});

function isJoinOf(member: TestMember): (f: Frame) => boolean {
  return (f) => f.event === "peer_joined" && (f.eventData as Frame).pubkey === member.pubkey;
}
