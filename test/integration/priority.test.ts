/**
 * Priority gating (protocol.md §3.3, §4.7; must-never-happen 18): `next` and `low` are held while the
 * recipient's effective status is `working` or `dnd`, `now` never is, and a status change releases what
 * was held at once; the working-timeout sweep (§3.3; must-never-happen 42) on a broker whose timers are
 * scaled down from the protocol's 60 s, 5 min and 15 s.
 */
import { describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/index.js";
import {
  connectMember,
  connectSession,
  isMessagePush,
  meshWith,
  useBroker,
  type Frame,
  type RawPeer,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";

const broker = useBroker();
const WORKING_TIMEOUT_MS = 1_000;
const HOOK_WORKING_TIMEOUT_MS = 4_000;
const WORKING_SWEEP_MS = 100;
const timed = useBroker({
  workingTimeoutMs: WORKING_TIMEOUT_MS,
  hookWorkingTimeoutMs: HOOK_WORKING_TIMEOUT_MS,
  workingSweepMs: WORKING_SWEEP_MS,
});

async function setup(): Promise<{ mesh: TestMesh; alice: TestMember; bob: TestMember; sender: RawPeer }> {
  const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
  const [alice, bob] = [m.alice!, m.bob!];
  return { mesh, alice, bob, sender: await connectMember(broker().url, mesh.meshId, alice) };
}

async function send(peer: RawPeer, targetSpec: string, priority: string): Promise<Frame> {
  const ack = await peer.sendMessage({ targetSpec, priority, ciphertext: "cA==" });
  expect(ack).toMatchObject({ queued: true });
  return ack;
}

/** Sets a status with ok_replies, so the write is applied when this resolves. */
async function setStatus(peer: RawPeer, status: string, source?: string): Promise<void> {
  expect(await peer.request({ type: "set_status", status, ...(source ? { source } : {}) })).toMatchObject({
    type: "ok",
  });
}

const pushed = (peer: RawPeer, ack: Frame) =>
  peer.frames.some((f) => isMessagePush(f) && f.messageId === ack.messageId);

describe.concurrent("priority gating", () => {
  it("next is held while the session is working, now is not, and set_status idle releases it", async () => {
    const { mesh, bob, sender } = await setup();
    const key = generateIdentity();
    const session = await connectSession(broker().url, mesh.meshId, bob, key, {
      capabilities: ["client_ack", "ok_replies"],
    });
    await setStatus(session, "working");

    const next = await send(sender, key.publicKey, "next");
    const low = await send(sender, key.publicKey, "low");
    const now = await send(sender, key.publicKey, "now");
    // `now` was accepted last; pushes to one recipient keep accept order, so had `next`/`low` been
    // deliverable they would have arrived first.
    await session.waitForPush(now.messageId as string);
    expect(pushed(session, next)).toBe(false);
    expect(pushed(session, low)).toBe(false);
    const status = await sender.request({ type: "message_status", messageId: next.messageId });
    expect(status).toMatchObject({ delivered: false, recipients: [{ status: "held" }] });

    await setStatus(session, "idle");
    const released = await session.waitForPush(next.messageId as string);
    expect(released.priority).toBe("next");
    await session.waitForPush(low.messageId as string);
    const order = session.frames.filter(isMessagePush).map((f) => f.messageId);
    expect(order.indexOf(next.messageId)).toBeLessThan(order.indexOf(low.messageId));
  });

  it("dnd holds next but not now; a hook write never leaves dnd, a manual one does", async () => {
    const { mesh, bob, sender } = await setup();
    const key = generateIdentity();
    const session = await connectSession(broker().url, mesh.meshId, bob, key, {
      capabilities: ["client_ack", "ok_replies"],
    });
    await setStatus(session, "dnd");
    const next = await send(sender, key.publicKey, "next");
    await setStatus(session, "idle", "hook");
    const now = await send(sender, key.publicKey, "now");
    await session.waitForPush(now.messageId as string);
    expect(pushed(session, next)).toBe(false);
    await setStatus(session, "idle", "manual");
    await session.waitForPush(next.messageId as string);
  });

  it("a member-level DM to a daemon is gated by its sessions' status", async () => {
    const { mesh, bob, sender } = await setup();
    const daemon = await connectMember(broker().url, mesh.meshId, bob);
    const session = await connectSession(broker().url, mesh.meshId, bob, generateIdentity(), {
      capabilities: ["client_ack", "ok_replies"],
    });
    await setStatus(session, "working");
    const next = await send(sender, bob.pubkey, "next");
    const now = await send(sender, bob.pubkey, "now");
    await daemon.waitForPush(now.messageId as string);
    expect(pushed(daemon, next)).toBe(false);
    expect(pushed(session, next)).toBe(false);
    await setStatus(session, "idle");
    await daemon.waitForPush(next.messageId as string);
  });

  it("gating applies to broadcasts too", async () => {
    const { mesh, bob, sender } = await setup();
    const key = generateIdentity();
    const session = await connectSession(broker().url, mesh.meshId, bob, key, {
      capabilities: ["client_ack", "ok_replies"],
    });
    await setStatus(session, "working");
    const next = await send(sender, "*", "next");
    const now = await send(sender, key.publicKey, "now");
    await session.waitForPush(now.messageId as string);
    expect(pushed(session, next)).toBe(false);
    await setStatus(session, "idle");
    await session.waitForPush(next.messageId as string);
  });
});

describe.concurrent("working timeout", () => {
  /** A session of bob on the scaled-down broker, in `status`, holding one `next` DM from alice. */
  async function heldBy(status: string, source?: string) {
    const { mesh, m } = await meshWith(timed(), ["alice", "bob"]);
    const sender = await connectMember(timed().url, mesh.meshId, m.alice!);
    const key = generateIdentity();
    const session = await connectSession(timed().url, mesh.meshId, m.bob!, key, {
      capabilities: ["client_ack", "ok_replies"],
    });
    await setStatus(session, status, source);
    const next = await send(sender, key.publicKey, "next");
    const statusOf = async () => {
      const peers = (await sender.request({ type: "list_peers" })).peers as Frame[];
      return peers.find((p) => p.pubkey === key.publicKey)?.status;
    };
    return { session, next, statusOf };
  }

  it("an unrefreshed working becomes idle and releases what it held, with no other trigger", async () => {
    const { session, next, statusOf } = await heldBy("working");
    expect(await statusOf()).toBe("working");
    await session.waitForPush(next.messageId as string, { timeoutMs: WORKING_TIMEOUT_MS + 2_000 });
    expect(await statusOf()).toBe("idle");
  });

  it("a hook's working outlasts the plain timeout and ends at the hook timeout", async () => {
    const { session, next, statusOf } = await heldBy("working", "hook");
    const isNext = (f: Frame) => isMessagePush(f) && f.messageId === next.messageId;
    await session.expectNone(isNext, WORKING_TIMEOUT_MS + 10 * WORKING_SWEEP_MS);
    expect(await statusOf()).toBe("working");
    await session.waitForPush(next.messageId as string, { timeoutMs: HOOK_WORKING_TIMEOUT_MS + 2_000 });
    expect(await statusOf()).toBe("idle");
  });

  it("dnd is never swept", async () => {
    const { session, next, statusOf } = await heldBy("dnd");
    const isNext = (f: Frame) => isMessagePush(f) && f.messageId === next.messageId;
    await session.expectNone(isNext, WORKING_TIMEOUT_MS + 10 * WORKING_SWEEP_MS);
    expect(await statusOf()).toBe("dnd");
  });
});
