/**
 * Priority gating (protocol.md §3.3, §4.7; must-never-happen 18): `next` and `low` are held while the
 * recipient's effective status is `working` or `dnd`, `now` never is, and a status change releases what
 * was held at once.
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
