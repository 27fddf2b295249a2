/**
 * Crash durability (protocol.md §4.3 step 8 "queued:true means persisted", §9 #1, #11): a broker killed
 * with SIGKILL and restarted on the same data dir still delivers what it acked, still knows the
 * idempotency keys, and re-offers pushes that were claimed but not acked when it died.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AppClient,
  addMember,
  closeAllClients,
  closeAllPeers,
  connectMember,
  createTestMesh,
  httpJson,
  startBroker,
  type BrokerProcess,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";

let broker: BrokerProcess;
let mesh: TestMesh;
let alice: TestMember;
let bob: TestMember;

beforeAll(async () => {
  broker = await startBroker();
  mesh = await createTestMesh(broker);
  alice = await addMember(broker, mesh, "alice");
  bob = await addMember(broker, mesh, "bob");
});

afterAll(async () => {
  closeAllPeers();
  await closeAllClients();
  await broker?.dispose();
});

describe("kill -9 and restart on the same data dir", () => {
  it("delivers a DM and a broadcast acked with queued:true before the crash", async () => {
    const sender = await connectMember(broker.url, mesh.meshId, alice);
    const dm = await sender.sendMessage({ targetSpec: bob.pubkey, ciphertext: "ZG0=", client_message_id: "k9-dm" });
    const all = await sender.sendMessage({ targetSpec: "*", ciphertext: "YWxs", bodyVersion: 1 });
    expect(dm).toMatchObject({ queued: true, recipientOnline: false });
    expect(all).toMatchObject({ queued: true });

    await broker.kill9();
    expect(broker.alive).toBe(false);
    await sender.closed;
    await broker.restart();

    const receiver = await AppClient.connect(broker.url, mesh.meshId, bob);
    await receiver.waitFor(dm.messageId as string);
    const broadcast = await receiver.waitFor(all.messageId as string);
    expect(broadcast.text).toBe("all");
    expect(receiver.count(dm.messageId as string)).toBe(1);

    // The idempotency record survived too: the daemon's retry after the crash is a duplicate.
    const again = await connectMember(broker.url, mesh.meshId, alice);
    const retry = await again.sendMessage({ targetSpec: bob.pubkey, ciphertext: "ZG0=", client_message_id: "k9-dm" });
    expect(retry).toMatchObject({ queued: true, duplicate: true, messageId: dm.messageId });
    await receiver.close();
  });

  it("re-offers a push that was claimed but not acked when the broker died", { timeout: 50_000 }, async () => {
    const sender = await connectMember(broker.url, mesh.meshId, alice);
    const holder = await connectMember(
      broker.url,
      mesh.meshId,
      bob,
      { sessionId: "bob-daemon", capabilities: ["client_ack"] },
      { autoAck: false },
    );
    const dm = await sender.sendMessage({ targetSpec: bob.pubkey, ciphertext: "Y2xhaW1lZA==" });
    await holder.waitForPush(dm.messageId as string);
    const pushedAt = Date.now();

    await broker.kill9();
    await holder.closed;
    await broker.restart();

    const receiver = await AppClient.connect(broker.url, mesh.meshId, bob, { sessionId: "bob-daemon" });
    // Nobody could release the dead node's claim, so the lease bound of §9 #3 applies: within 35 s of
    // the original push. (Releasing a restarted node's old claims at start would make this prompt; the
    // store has no method for it yet — see the integration report.)
    const got = await receiver.waitFor(dm.messageId as string, 40_000);
    expect(got.text).toBe("claimed");
    expect(Date.now() - pushedAt).toBeLessThanOrEqual(35_000);
    const again = await connectMember(broker.url, mesh.meshId, alice);
    const later = await again.sendMessage({ targetSpec: bob.pubkey, ciphertext: "YmFycmllcg==" });
    await receiver.waitFor(later.messageId as string);
    expect(receiver.count(dm.messageId as string)).toBe(1);
    await receiver.close();
  });

  it("a graceful stop closes sockets with 1001 `shutting down` and /health answers after restart", async () => {
    const peer = await connectMember(broker.url, mesh.meshId, alice);
    await broker.stop();
    expect(await peer.waitForClose()).toEqual({ code: 1001, reason: "shutting down" });
    await broker.restart();
    const health = await httpJson(broker, "GET", "/health");
    expect(health.status).toBe(200);
  });
});
