/**
 * Scheduled messages (protocol.md §5.7, §6.5) against a real broker with raw peers: an entry fires once,
 * as its creator's member, while the creator is offline; reference plaintext fires as `bodyVersion` 1;
 * an envelope fires as given; a cancelled entry and one whose creator left never fire; bad cron is
 * `invalid_cron`; the 101st active entry is `limit`; a repeated `client_message_id` returns the original
 * entry. Across kill -9: an entry due while the broker was down fires once on start, and a cron entry
 * keeps firing at its consecutive due times (the scheduler's clock shifted past each one).
 */
import { describe, expect, it } from "vitest";
import {
  connectMember,
  meshWith,
  startBroker,
  useBroker,
  type Frame,
  type RawPeer,
} from "../helpers/broker.js";

/** A short poll, so a fire follows its due time within a fraction of a second. */
const POLL_MS = 100;
/** How long a test watches for a fire that must not happen: many polls past the due time. */
const QUIET_MS = 1_500;

// No frame-rate limit: one test makes 100 entries in a row.
const broker = useBroker({ schedulePollMs: POLL_MS, frameRate: 0 });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const reminder = (f: Frame) => f.type === "push" && f.subtype === "reminder";

function plaintext(push: Frame): string {
  return Buffer.from(push.ciphertext as string, "base64").toString("utf8");
}

describe.concurrent("scheduled messages", () => {
  it("fires once, as its creator's member, while the creator is offline", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const deliverAt = Date.now() + 800;
    const ack = await alice.request({ type: "schedule", to: m.bob!.pubkey, message: "stand-up", deliverAt });
    expect(ack).toEqual({
      type: "scheduled_ack",
      scheduledId: expect.any(String),
      deliverAt,
      _reqId: ack._reqId,
    });
    expect(ack).not.toHaveProperty("cron");
    const listed = await alice.request({ type: "list_scheduled" });
    expect(listed.messages).toEqual([
      {
        id: ack.scheduledId,
        to: m.bob!.pubkey,
        message: "stand-up",
        deliverAt,
        createdAt: expect.any(Number),
        firedCount: 0,
      },
    ]);
    alice.close();

    const push = await bob.waitFor(reminder, { timeoutMs: 10_000 });
    expect(push).toMatchObject({
      senderPubkey: m.alice!.pubkey,
      senderMemberPubkey: m.alice!.pubkey,
      senderMemberId: m.alice!.memberId,
      senderName: "alice",
      priority: "now",
      nonce: "",
      bodyVersion: 1,
      targetSpec: m.bob!.pubkey,
      recipientPubkey: m.bob!.pubkey,
    });
    expect(plaintext(push)).toBe("stand-up");
    await bob.expectNone(reminder, QUIET_MS, bob.frames.indexOf(push) + 1);

    const back = await connectMember(broker().url, mesh.meshId, m.alice!);
    expect((await back.request({ type: "list_scheduled" })).messages).toEqual([]);
  });

  it("an envelope fires as given, to a broadcast, with its client_message_id; a repeat returns the entry", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob", "carol"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const request = {
      type: "schedule",
      to: "*",
      message: "",
      nonce: "bm9uY2Vub25jZW5vbmNlbm9uY2Vub25j",
      ciphertext: "c2VhbGVkIGJ5IHRoZSBzZW5kZXI=",
      bodyVersion: 2,
      priority: "next",
      client_message_id: "sched-1",
      deliverAt: Date.now() + 600,
    };
    const ack = await alice.request(request);
    const again = await alice.request({ ...request, deliverAt: Date.now() + 60_000 });
    expect({ ...again, _reqId: "" }).toEqual({ ...ack, _reqId: "" });
    const push = await bob.waitFor(reminder, { timeoutMs: 10_000 });
    expect(push).toMatchObject({
      nonce: request.nonce,
      ciphertext: request.ciphertext,
      bodyVersion: 2,
      priority: "next",
      targetSpec: "*",
      client_message_id: "sched-1",
      senderPubkey: m.alice!.pubkey,
    });
    // The sender's member gets no copy of its own broadcast.
    await alice.expectNone(reminder, QUIET_MS);
  });

  it("fires a message to an offline recipient, who gets it on connecting", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const deliverAt = Date.now() + 300;
    await alice.request({ type: "schedule", to: m.bob!.pubkey, message: "later", deliverAt });
    const listed = async () => (await alice.request({ type: "list_scheduled" })).messages as unknown[];
    while ((await listed()).length > 0) await sleep(POLL_MS);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    expect(plaintext(await bob.waitFor(reminder))).toBe("later");
  });

  it("a cancelled entry never fires; only its creator's member can cancel it", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const { scheduledId } = await alice.request({
      type: "schedule",
      to: m.bob!.pubkey,
      message: "never",
      deliverAt: Date.now() + 700,
    });
    expect(await bob.request({ type: "cancel_scheduled", scheduledId })).toMatchObject({
      type: "cancel_scheduled_ack",
      scheduledId,
      ok: false,
    });
    expect(await alice.request({ type: "cancel_scheduled", scheduledId })).toMatchObject({ ok: true });
    expect(await alice.request({ type: "cancel_scheduled", scheduledId })).toMatchObject({ ok: false });
    await bob.expectNone(reminder, 700 + QUIET_MS);
  });

  it("an entry whose creator left the mesh is not fired", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    await alice.request({ type: "schedule", to: m.bob!.pubkey, message: "x", deliverAt: Date.now() + 700 });
    await alice.request({ type: "leave_mesh" });
    await bob.expectNone(reminder, 700 + QUIET_MS);
  });

  it("refuses a bad cron with invalid_cron and a missing time with invalid", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    for (const cron of ["61 * * * *", "* * * *", "* * * * * *", "0 0 30 2 *", "every day"]) {
      const reply = await alice.request({ type: "schedule", to: "*", message: "x", cron });
      expect(reply, cron).toMatchObject({ type: "error", code: "invalid_cron" });
    }
    expect(await alice.request({ type: "schedule", to: "*", message: "x" })).toMatchObject({
      code: "invalid",
    });
    expect(await alice.request({ type: "schedule", to: "*", message: "", deliverAt: 1 })).toMatchObject({
      code: "invalid",
    });
    // As a reference client sends a recurring entry.
    const cron = await alice.request({
      type: "schedule",
      to: "*",
      message: "x",
      deliverAt: null,
      cron: "0 9 * * 1-5",
      recurring: true,
      subtype: "reminder",
    });
    expect(cron).toMatchObject({ type: "scheduled_ack", cron: "0 9 * * 1-5" });
    const next = new Date(cron.deliverAt as number);
    expect([next.getUTCHours(), next.getUTCMinutes(), next.getUTCSeconds()]).toEqual([9, 0, 0]);
    expect([1, 2, 3, 4, 5]).toContain(next.getUTCDay());
    expect((await alice.request({ type: "list_scheduled" })).messages).toEqual([
      expect.objectContaining({ id: cron.scheduledId, cron: "0 9 * * 1-5", firedCount: 0 }),
    ]);
  });

  it("the 101st active entry of a member is refused with limit", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const far = Date.now() + 24 * 3_600_000;
    const schedule = (peer: RawPeer) =>
      peer.request({ type: "schedule", to: "*", message: "x", deliverAt: far });
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await schedule(alice)).scheduledId as string);
    expect(await schedule(alice)).toMatchObject({ type: "error", code: "limit" });
    expect(await schedule(bob)).toMatchObject({ type: "scheduled_ack" });
    await alice.request({ type: "cancel_scheduled", scheduledId: ids[0] });
    expect(await schedule(alice)).toMatchObject({ type: "scheduled_ack" });
  });
});

describe("scheduled messages across kill -9", () => {
  it("an entry due while the broker was down fires once when it starts", async () => {
    const first = await startBroker({ schedulePollMs: POLL_MS });
    try {
      const { mesh, m } = await meshWith(first, ["alice", "bob"]);
      const alice = await connectMember(first.url, mesh.meshId, m.alice!);
      const deliverAt = Date.now() + 500;
      await alice.request({ type: "schedule", to: m.bob!.pubkey, message: "after the crash", deliverAt });
      await first.kill9();
      await sleep(Math.max(0, deliverAt - Date.now()) + 200);
      await first.restart();
      const bob = await connectMember(first.url, mesh.meshId, m.bob!);
      const push = await bob.waitFor(reminder, { timeoutMs: 10_000 });
      expect(plaintext(push)).toBe("after the crash");
      await bob.expectNone(reminder, QUIET_MS, bob.frames.indexOf(push) + 1);
    } finally {
      await first.dispose();
    }
  });

  it("a cron entry fires at each consecutive due time, across restarts", async () => {
    // The first broker's clock is shifted to 20 s past a minute, so its entry is not due before the kill.
    const offset = ((20_000 - (Date.now() % 60_000) + 60_000) % 60_000) + 1;
    const first = await startBroker({ schedulePollMs: POLL_MS, scheduleClockOffsetMs: offset });
    const { dataDir } = first;
    let current = first;
    try {
      const { mesh, m } = await meshWith(first, ["alice", "bob"]);
      const alice = await connectMember(first.url, mesh.meshId, m.alice!);
      const ack = await alice.request({
        type: "schedule",
        to: m.bob!.pubkey,
        message: "tick",
        cron: "* * * * *",
        // The longest id: each fire's own id must still fit a receiver's `client_ack`.
        client_message_id: "c".repeat(128),
      });
      const firstDue = ack.deliverAt as number;
      const fireIds: string[] = [];
      await first.kill9();
      // Each start shifts the scheduler's clock just past the next minute, instead of waiting for it.
      for (const [i, due] of [firstDue, firstDue + 60_000].entries()) {
        current = await startBroker({
          dataDir,
          schedulePollMs: POLL_MS,
          scheduleClockOffsetMs: Math.max(1, due - Date.now() + 200),
        });
        const bob = await connectMember(current.url, mesh.meshId, m.bob!);
        const push = await bob.waitFor(reminder, { timeoutMs: 10_000 });
        expect(plaintext(push)).toBe("tick");
        fireIds.push(push.client_message_id as string);
        await bob.expectNone(reminder, QUIET_MS, bob.frames.indexOf(push) + 1);
        const owner = await connectMember(current.url, mesh.meshId, m.alice!);
        const [entry] = (await owner.request({ type: "list_scheduled" })).messages as Frame[];
        expect(entry).toMatchObject({ id: ack.scheduledId, cron: "* * * * *", firedCount: i + 1 });
        expect(entry!.deliverAt).toBe(due + 60_000);
        bob.close();
        owner.close();
        await current.kill9();
      }
      expect(new Set(fireIds).size).toBe(2);
      for (const id of fireIds) expect(id.length).toBeLessThanOrEqual(128);
    } finally {
      await current.dispose();
    }
  });
});
