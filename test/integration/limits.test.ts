/**
 * Limits with their own codes (protocol.md §1.6, §1.10, §4.3, §4.12; must-never-happen 13-15): the send
 * token bucket per member (burst 10), the 65,536-byte payload limit answered with an ack, the
 * 262,144-byte frame limit that closes 1009, and the per-connection frame rate.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  addMember,
  connectMember,
  createTestMesh,
  useBroker,
  waitUntil,
  type Frame,
  type RawPeer,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";

let mesh: TestMesh;
let bob: TestMember;

const broker = useBroker();

beforeAll(async () => {
  mesh = await createTestMesh(broker());
  bob = await addMember(broker(), mesh, "bob");
});

async function sender(name: string): Promise<{ member: TestMember; peer: RawPeer }> {
  const member = await addMember(broker(), mesh, name);
  return { member, peer: await connectMember(broker().url, mesh.meshId, member) };
}

function dm(peer: RawPeer, fields: Record<string, unknown> = {}): Promise<Frame> {
  return peer.sendMessage({ targetSpec: bob.pubkey, ciphertext: "eA==", ...fields });
}

describe.concurrent("send rate limit", () => {
  it("allows a burst of 10, then answers rate_limit with the reference text; the socket stays open", async () => {
    const { peer } = await sender("burst");
    // Written back to back, so no refill in between can blur the count.
    const acks = await Promise.all(Array.from({ length: 11 }, (_, i) => dm(peer, { id: `burst-${i}` })));
    expect(acks.filter((a) => a.queued === true)).toHaveLength(10);
    const limited = acks.filter((a) => a.queued === false);
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({
      type: "ack",
      id: "burst-10",
      messageId: "",
      error: "rate_limit: max 60 msg/min (burst 10) — slow down",
    });
    expect(peer.open).toBe(true);
    expect((await peer.request({ type: "list_peers" })).type).toBe("peers_list");
  });

  it("is per member: reconnecting or a second presence never resets or multiplies it", async () => {
    const { member, peer } = await sender("per-member");
    const burst = await Promise.all(Array.from({ length: 10 }, () => dm(peer)));
    expect(burst.every((a) => a.queued === true)).toBe(true);
    const drained = Date.now();
    peer.close();
    await peer.closed;
    const again = await connectMember(broker().url, mesh.meshId, member);
    const second = await connectMember(broker().url, mesh.meshId, member);
    const acks = await Promise.all([
      ...Array.from({ length: 5 }, () => dm(again)),
      ...Array.from({ length: 5 }, () => dm(second)),
    ]);
    // Only what refilled since the burst (1/s) may pass; a reset or a per-presence bucket would pass 10.
    const refilled = Math.ceil((Date.now() - drained) / 1_000);
    expect(acks.filter((a) => a.queued === true).length).toBeLessThanOrEqual(Math.min(refilled, 9));
    expect(acks.some((a) => (a.error as string | undefined)?.startsWith("rate_limit:"))).toBe(true);
  });

  it("a refused send leaves no idempotency record behind", async () => {
    const { peer } = await sender("no-trace");
    const acks = await Promise.all([
      ...Array.from({ length: 10 }, () => dm(peer)),
      dm(peer, { client_message_id: "after-limit", ciphertext: "b25l" }),
    ]);
    expect(acks[10]!.error).toMatch(/^rate_limit:/);
    // Once a token has refilled, the same key with other content is a new message, not a reuse.
    const accepted = await waitUntil(
      async () => {
        const ack = await dm(peer, { client_message_id: "after-limit", ciphertext: "dHdv" });
        return ack.queued === true ? ack : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 250, message: "a token refilled" },
    );
    expect(accepted.duplicate).toBeUndefined();
  });
});

describe.concurrent("sizes", () => {
  it("a send over 65,536 payload bytes gets ack too_large and the socket stays open", async () => {
    const { peer } = await sender("big-send");
    const ciphertext = "A".repeat(65_536 - bob.pubkey.length + 1);
    const ack = await dm(peer, { ciphertext, id: "big", client_message_id: "big" });
    expect(ack).toMatchObject({ type: "ack", id: "big", queued: false, messageId: "" });
    expect(ack.error).toBe("too_large: payload_too_large (65537 bytes > 65536)");
    expect(peer.open).toBe(true);
    // Nothing was recorded under its key either.
    const small = await dm(peer, { client_message_id: "big", ciphertext: "c21hbGw=" });
    expect(small).toMatchObject({ queued: true });
    expect(small.duplicate).toBeUndefined();
    const exact = await dm(peer, { ciphertext: "A".repeat(65_536 - bob.pubkey.length) });
    expect(exact.queued).toBe(true);
  });

  it("a frame over 262,144 bytes closes the socket with 1009", async () => {
    const { peer } = await sender("huge-frame");
    peer.send({ type: "set_summary", summary: "x".repeat(262_145) });
    const closed = await peer.waitForClose();
    expect(closed.code).toBe(1009);
  });

  it("a frame just under 262,144 bytes is handled (summary truncated), not closed", async () => {
    const { member, peer } = await sender("large-frame");
    const summary = "y".repeat(200_000);
    peer.send({ type: "set_summary", summary });
    const peers = (await peer.request({ type: "list_peers" })).peers as Frame[];
    const me = peers.find((p) => p.memberPubkey === member.pubkey);
    expect((me?.summary as string).length).toBe(1_024);
    expect(peer.open).toBe(true);
  });
});

describe("groups", () => {
  it("a connection is in at most 64 groups (limit); a re-join and a join after a leave still work", async () => {
    const member = await addMember(broker(), mesh, "joiner");
    const peer = await connectMember(broker().url, mesh.meshId, member, {
      capabilities: ["client_ack", "ok_replies"],
    });
    // Under the frame bucket's burst of 100: 64 joins, then the ones that must be refused or pass.
    for (let i = 0; i < 64; i++) peer.send({ type: "join_group", name: `g${i}` });
    expect(await peer.request({ type: "join_group", name: "one-more" })).toMatchObject({
      type: "error",
      code: "limit",
    });
    expect(await peer.request({ type: "join_group", name: "g3", role: "lead" })).toMatchObject({
      type: "ok",
    });
    expect(await peer.request({ type: "leave_group", name: "g0" })).toMatchObject({ type: "ok" });
    expect(await peer.request({ type: "join_group", name: "one-more" })).toMatchObject({ type: "ok" });
    const me = ((await peer.request({ type: "list_peers" })).peers as Frame[]).find(
      (p) => p.memberPubkey === member.pubkey,
    );
    expect((me?.groups as unknown[]).length).toBe(64);
  });

  it("drops a hello's group whose role is over 64 characters, keeping the others", async () => {
    const member = await addMember(broker(), mesh, "roles");
    const peer = await connectMember(broker().url, mesh.meshId, member, {
      groups: [
        { name: "fine", role: "lead" },
        { name: "padded", role: "r".repeat(100_000) },
      ],
    });
    const me = ((await peer.request({ type: "list_peers" })).peers as Frame[]).find(
      (p) => p.memberPubkey === member.pubkey,
    );
    expect(me?.groups).toEqual([{ name: "fine", role: "lead" }]);
  });
});

describe("frame rate", () => {
  it("answers frames over burst 100 with rate_limit carrying _reqId, and keeps the socket open", async () => {
    const { peer } = await sender("chatty");
    const since = peer.mark();
    const count = 160;
    for (let i = 0; i < count; i++) peer.send({ type: "list_peers", _reqId: `fr-${i}` });
    const replies = await waitUntil(
      () => {
        const got = peer.frames
          .slice(since)
          .filter((f) => typeof f._reqId === "string" && f._reqId.startsWith("fr-"));
        return got.length === count ? got : undefined;
      },
      { message: "a reply to every frame" },
    );
    const limited = replies.filter((f) => f.type === "error" && f.code === "rate_limit");
    expect(limited.length).toBeGreaterThan(0);
    expect(replies.filter((f) => f.type === "peers_list").length).toBeGreaterThanOrEqual(100);
    expect(peer.open).toBe(true);
    // Sends are not counted against the frame bucket: the member's send bucket still has its burst.
    expect((await dm(peer)).queued).toBe(true);
  });
});
