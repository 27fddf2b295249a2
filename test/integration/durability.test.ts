/**
 * Crash durability (protocol.md §4.3 step 8 "queued:true means persisted", §9 #1, #11): a broker killed
 * with SIGKILL and restarted on the same data dir still delivers what it acked and still knows the
 * idempotency keys; a graceful stop closes with 1001. (A push claimed but not acked when the broker was
 * killed is in delivery.test.ts, next to the other 30 s lease test, so the two waits overlap.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  AppClient,
  addMember,
  connectMember,
  createTestMesh,
  httpJson,
  useBroker,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";

let mesh: TestMesh;
let alice: TestMember;
let bob: TestMember;

const broker = useBroker();

beforeAll(async () => {
  mesh = await createTestMesh(broker());
  alice = await addMember(broker(), mesh, "alice");
  bob = await addMember(broker(), mesh, "bob");
});

describe("kill -9 and restart on the same data dir", () => {
  it("delivers a DM and a broadcast acked with queued:true before the crash", async () => {
    const sender = await connectMember(broker().url, mesh.meshId, alice);
    const dm = await sender.sendMessage({
      targetSpec: bob.pubkey,
      ciphertext: "ZG0=",
      client_message_id: "k9-dm",
    });
    const all = await sender.sendMessage({ targetSpec: "*", ciphertext: "YWxs", bodyVersion: 1 });
    expect(dm).toMatchObject({ queued: true, recipientOnline: false });
    expect(all).toMatchObject({ queued: true });

    await broker().kill9();
    expect(broker().alive).toBe(false);
    await sender.closed;
    await broker().restart();

    const receiver = await AppClient.connect(broker().url, mesh.meshId, bob);
    await receiver.waitFor(dm.messageId as string);
    const broadcast = await receiver.waitFor(all.messageId as string);
    expect(broadcast.text).toBe("all");
    expect(receiver.count(dm.messageId as string)).toBe(1);

    // The idempotency record survived too: the daemon's retry after the crash is a duplicate.
    const again = await connectMember(broker().url, mesh.meshId, alice);
    const retry = await again.sendMessage({
      targetSpec: bob.pubkey,
      ciphertext: "ZG0=",
      client_message_id: "k9-dm",
    });
    expect(retry).toMatchObject({ queued: true, duplicate: true, messageId: dm.messageId });
    await receiver.close();
  });

  it("a group a member joined before the crash still routes to it, offline, after the restart", async () => {
    const member = await connectMember(broker().url, mesh.meshId, bob, {
      capabilities: ["client_ack", "ok_replies"],
    });
    expect(await member.request({ type: "join_group", name: "ops" })).toMatchObject({ type: "ok" });
    await broker().kill9();
    await member.closed;
    await broker().restart();

    // Bob is offline: the group resolves from what the broker saved for him.
    const sender = await connectMember(broker().url, mesh.meshId, alice);
    const sent = await sender.sendMessage({ targetSpec: "@ops", ciphertext: "b3Bz", bodyVersion: 1 });
    expect(sent).toMatchObject({ queued: true });
    const receiver = await AppClient.connect(broker().url, mesh.meshId, bob);
    expect((await receiver.waitFor(sent.messageId as string)).text).toBe("ops");
    sender.close();
    await receiver.close();
  });

  it("a graceful stop closes sockets with 1001 `shutting down` and /health answers after restart", async () => {
    const peer = await connectMember(broker().url, mesh.meshId, alice);
    await broker().stop();
    expect(await peer.waitForClose()).toEqual({ code: 1001, reason: "shutting down" });
    await broker().restart();
    const health = await httpJson(broker(), "GET", "/health");
    expect(health.status).toBe(200);
  });
});
