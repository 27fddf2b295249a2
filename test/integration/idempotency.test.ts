/**
 * Idempotent accept on (mesh, sender member, client_message_id) (protocol.md §4.5; must-never-happen 11-13):
 * a retry with the same content is one message with the original id and `duplicate:true`, never charged
 * to the rate limit; other content under the same key is `idempotency_key_reused`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AppClient,
  addMember,
  connectMember,
  createTestMesh,
  useBroker,
  type Frame,
  type RawPeer,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";

let mesh: TestMesh;
let bob: TestMember;
let bobApp: AppClient;

const broker = useBroker();

beforeAll(async () => {
  mesh = await createTestMesh(broker());
  bob = await addMember(broker(), mesh, "bob");
  bobApp = await AppClient.connect(broker().url, mesh.meshId, bob);
});

/** A sender with a fresh member (and so a full send bucket). */
async function freshSender(name: string): Promise<{ member: TestMember; peer: RawPeer }> {
  const member = await addMember(broker(), mesh, name);
  return { member, peer: await connectMember(broker().url, mesh.meshId, member) };
}

function send(
  peer: RawPeer,
  cmid: string,
  body: string,
  extra: Record<string, unknown> = {},
): Promise<Frame> {
  return peer.sendMessage({
    targetSpec: bob.pubkey,
    ciphertext: body,
    client_message_id: cmid,
    id: cmid,
    ...extra,
  });
}

/** Waits for a fresh DM at bob's application, so every earlier push to bob has been seen. */
async function bobBarrier(peer: RawPeer): Promise<void> {
  const ack = await peer.sendMessage({ targetSpec: bob.pubkey, ciphertext: "YmFycmllcg==" });
  await bobApp.waitFor(ack.messageId as string);
}

describe.concurrent("client_message_id", () => {
  it("a duplicate delivers once and returns the same messageId with duplicate:true", async () => {
    const { peer } = await freshSender("dup-sender");
    const first = await send(peer, "same-1", "Ym9keQ==");
    expect(first).toMatchObject({ queued: true, id: "same-1" });
    expect(first.duplicate).toBeUndefined();
    const second = await send(peer, "same-1", "Ym9keQ==");
    expect(second).toMatchObject({ queued: true, duplicate: true, messageId: first.messageId, id: "same-1" });

    const got = await bobApp.waitFor(first.messageId as string);
    expect(got.push.client_message_id).toBe("same-1");
    expect(got.push.request_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // Even after the original was delivered and acked, a retry is still the same message.
    const third = await send(peer, "same-1", "Ym9keQ==");
    expect(third).toMatchObject({ duplicate: true, messageId: first.messageId });
    await bobBarrier(peer);
    expect(bobApp.count(first.messageId as string)).toBe(1);
    expect(bobApp.received.filter((r) => r.push.client_message_id === "same-1")).toHaveLength(1);
  });

  it("the same id with different content gets idempotency_key_reused and nothing is delivered", async () => {
    const { peer } = await freshSender("reuse-sender");
    const first = await send(peer, "reused", "b25l");
    const other = await send(peer, "reused", "dHdv");
    expect(other).toMatchObject({ type: "ack", queued: false, messageId: "", id: "reused" });
    expect(other.error).toBe(
      "idempotency_key_reused: invalid reuse of client_message_id with a different request",
    );
    const otherPriority = await send(peer, "reused", "b25l", { priority: "low" });
    expect(otherPriority.error).toMatch(/^idempotency_key_reused:/);
    await bobBarrier(peer);
    expect(bobApp.received.filter((r) => r.push.client_message_id === "reused")).toHaveLength(1);
    expect(bobApp.count(first.messageId as string)).toBe(1);
  });

  it("keys are per sender member: another member may use the same id", async () => {
    const a = await freshSender("key-a");
    const b = await freshSender("key-b");
    const fromA = await send(a.peer, "shared-key", "YQ==");
    const fromB = await send(b.peer, "shared-key", "Yg==");
    expect(fromB.queued).toBe(true);
    expect(fromB.duplicate).toBeUndefined();
    expect(fromB.messageId).not.toBe(fromA.messageId);
  });

  it("the key is per member, not per connection: a retry from another presence is a duplicate", async () => {
    const { member, peer } = await freshSender("two-sockets");
    const first = await send(peer, "cross-socket", "eA==");
    const other = await connectMember(broker().url, mesh.meshId, member);
    const retry = await send(other, "cross-socket", "eA==");
    expect(retry).toMatchObject({ duplicate: true, messageId: first.messageId });
  });

  it("duplicates are never refused by the rate limit", async () => {
    const { peer } = await freshSender("limited");
    const original = await send(peer, "orig", "MA==");
    // More sends than the bucket holds, written back to back, then the retry: the bucket is empty.
    const fills = Array.from({ length: 12 }, (_, i) => send(peer, `fill-${i}`, "MA=="));
    const retry = send(peer, "orig", "MA==");
    const filled = await Promise.all(fills);
    expect(filled.some((a) => (a.error as string | undefined)?.startsWith("rate_limit:"))).toBe(true);
    expect(await retry).toMatchObject({ queued: true, duplicate: true, messageId: original.messageId });
  });

  it("concurrent retries of one key commit exactly one message and charge one token", async () => {
    const { peer } = await freshSender("burst-dups");
    // Nine sends take nine of ten tokens; eight copies of one send written right after share the last.
    const pre = Array.from({ length: 9 }, (_, i) => send(peer, `pre-${i}`, "MA=="));
    const copies = Array.from({ length: 8 }, () => send(peer, "concurrent", "Y29uYw=="));
    expect((await Promise.all(pre)).every((a) => a.queued === true)).toBe(true);
    const acks = await Promise.all(copies);
    expect(acks.every((a) => a.queued === true)).toBe(true);
    expect(new Set(acks.map((a) => a.messageId)).size).toBe(1);
    expect(acks.filter((a) => a.duplicate !== true)).toHaveLength(1);
  });

  it("a key whose first send was refused is free for a corrected send written right after it", async () => {
    const { peer } = await freshSender("corrected");
    const nobody = "0".repeat(64);
    // Written back to back, so the broker usually takes both in one batch.
    const refused = send(peer, "corrected-1", "MA==", { targetSpec: nobody });
    const corrected = send(peer, "corrected-1", "MA==");
    expect((await refused).error).toMatch(/^no_recipient:/);
    const ack = await corrected;
    expect(ack).toMatchObject({ queued: true, id: "corrected-1" });
    expect(ack.duplicate).toBeUndefined();
    expect((await bobApp.waitFor(ack.messageId as string)).push.client_message_id).toBe("corrected-1");
  });
});
