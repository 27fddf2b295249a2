/**
 * `backlog_sent` (protocol.md §4.6, capability and feature `backlog_sent`) against a real broker: a
 * connection that declares it gets the frame once after its hello, after the pushes of every delivery that
 * waited for it (however many claim batches they take), and a connection that does not never gets it.
 */
import { describe, expect, it } from "vitest";
import { toBase64 } from "../../src/crypto/index.js";
import {
  connectMember,
  isMessagePush,
  meshWith,
  useBroker,
  type Frame,
  type RawPeer,
} from "../helpers/broker.js";

/** No send limit: one test queues more than a claim batch (256) for one member. */
const broker = useBroker({ sendRate: 0, sendBurst: 0, frameRate: 0 });

async function dm(from: RawPeer, toKey: string, text: string): Promise<string> {
  const ack = await from.sendMessage({
    targetSpec: toKey,
    priority: "now",
    ciphertext: toBase64(new TextEncoder().encode(text)),
  });
  expect(ack).toMatchObject({ type: "ack", queued: true });
  return ack.messageId as string;
}

const isBacklogSent = (f: Frame): boolean => f.type === "backlog_sent";

/** The message pushes and `backlog_sent` frames after the hello, in arrival order. */
const deliveryFrames = (peer: RawPeer): Frame[] =>
  peer.frames.filter((f) => isMessagePush(f) || isBacklogSent(f));

describe.concurrent("backlog_sent", () => {
  it("follows the pushes of everything that waited, once", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await dm(alice, m.bob!.pubkey, `waiting ${i}`));
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!, {
      capabilities: ["client_ack", "backlog_sent"],
    });
    expect(bob.helloAck?.features).toContain("backlog_sent");
    await bob.waitFor(isBacklogSent, { what: "backlog_sent" });
    // A message sent afterwards is pushed, with no second backlog_sent.
    const later = await dm(alice, m.bob!.pubkey, "later");
    await bob.waitForPush(later);
    expect(deliveryFrames(bob).map((f) => (isBacklogSent(f) ? "backlog_sent" : f.messageId))).toEqual([
      ...ids,
      "backlog_sent",
      later,
    ]);
  });

  it("comes at once when nothing waited", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!, {
      capabilities: ["client_ack", "backlog_sent"],
    });
    await bob.waitFor(isBacklogSent, { what: "backlog_sent" });
    expect(deliveryFrames(bob)).toEqual([{ type: "backlog_sent" }]);
  });

  it("waits for every claim batch of a long backlog", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const count = 600;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await dm(alice, m.bob!.pubkey, `waiting ${i}`));
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!, {
      capabilities: ["client_ack", "backlog_sent"],
    });
    await bob.waitFor(isBacklogSent, { what: "backlog_sent", timeoutMs: 30_000 });
    const frames = deliveryFrames(bob);
    expect(frames.at(-1)).toEqual({ type: "backlog_sent" });
    expect(frames.slice(0, -1).map((f) => f.messageId)).toEqual(ids);
  }, 60_000);

  it("is never sent to a connection that did not declare it", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const waited = await dm(alice, m.bob!.pubkey, "waiting");
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    await bob.waitForPush(waited);
    // Pushes to one connection leave in order: once this one is here, a backlog_sent would have been too.
    await bob.waitForPush(await dm(alice, m.bob!.pubkey, "later"));
    expect(bob.frames.filter(isBacklogSent)).toEqual([]);
  });
});
