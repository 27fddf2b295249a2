/**
 * Storage faults are visible and survivable (protocol.md §4.4 `store_unavailable`, §7.2; must-never-happen
 * 54): while writes fail as on a full disk (the fault switch, store/faulty.ts, with the content `writes`),
 * sends are refused `store_unavailable` and never acked as queued (an HTTP write gets 503 `store_unavailable`),
 * `/health/ready` answers 503 and `/health` says why; the broker logs the change of state once, not a stack per write. Once writes succeed again the
 * broker is ready without a restart, and a client that retries what was refused (same client_message_id)
 * gets every message delivered exactly once. Work the broker starts on its own (a stale working status
 * going idle) meets the failing store the same way: reported, never fatal.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/index.js";
import {
  claimBody,
  connectMember,
  createInvite,
  httpJson,
  isMessagePush,
  meshWith,
  useBroker,
  waitUntil,
  type Frame,
  type RawPeer,
} from "../helpers/broker.js";

const faultDir = mkdtempSync(join(tmpdir(), "cm-store-fault-"));
const faultFile = join(faultDir, "store-fault");
const broker = useBroker({ env: { CLAUDEMESH_STORE_FAULT_FILE: faultFile } });
/** Its own fault switch, and a working status that goes stale within a second. */
const sweepFaultFile = join(faultDir, "sweep-fault");
const sweeping = useBroker({
  env: { CLAUDEMESH_STORE_FAULT_FILE: sweepFaultFile },
  workingTimeoutMs: 300,
  workingSweepMs: 100,
});

afterAll(() => {
  rmSync(faultDir, { recursive: true, force: true });
});

function send(peer: RawPeer, to: string, cmid: string): Promise<Frame> {
  return peer.sendMessage({
    targetSpec: to,
    ciphertext: Buffer.from(cmid).toString("base64"),
    client_message_id: cmid,
    id: cmid,
  });
}

function logLines(pattern: RegExp): string[] {
  return broker()
    .logs()
    .split("\n")
    .filter((l) => pattern.test(l));
}

describe("a store whose writes fail", () => {
  it("refuses sends with store_unavailable, is not ready, and recovers with every message delivered once", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const ids = Array.from({ length: 8 }, (_, i) => `fault-${i}`);
    const acked = new Map<string, string>();

    for (const cmid of ids.slice(0, 3)) {
      const ack = await send(alice, m.bob!.pubkey, cmid);
      expect(ack).toMatchObject({ queued: true });
      acked.set(cmid, ack.messageId as string);
    }

    await waitUntil(() => bob.frames.filter(isMessagePush).length === 3, { message: "first pushes" });
    const invite = await createInvite(broker(), mesh);
    const claim = () =>
      httpJson(broker(), "POST", `/invites/${invite.code}/claim`, {
        body: JSON.stringify(claimBody(invite, generateIdentity(), "carol")),
      });

    // The disk fills.
    writeFileSync(faultFile, "writes");
    for (const cmid of ids.slice(3)) {
      const ack = await send(alice, m.bob!.pubkey, cmid);
      expect(ack).toMatchObject({ queued: false, messageId: "" });
      expect(ack.error).toMatch(/^store_unavailable: /);
    }
    const ready = await httpJson(broker(), "GET", "/health/ready");
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: "not_ready", reason: "db_failing" });
    expect(String((ready.body as { message?: string }).message)).toMatch(/SQLITE_FULL/);
    // An HTTP write is refused the same way, and uses nothing up.
    expect(await claim()).toMatchObject({ status: 503, body: { ok: false, error: "store_unavailable" } });
    const health = await httpJson(broker(), "GET", "/health");
    expect(health).toMatchObject({ status: 200, body: { status: "ok", db: "failing" } });
    expect(String((health.body as { dbError?: string }).dbError)).toMatch(/disk is full/);

    // The space is freed: ready again without any traffic (the probe), then a retrying client.
    rmSync(faultFile);
    await waitUntil(async () => (await httpJson(broker(), "GET", "/health/ready")).status === 200, {
      message: "/health/ready back to 200",
    });
    expect((await httpJson(broker(), "GET", "/health")).body).toMatchObject({ db: "up" });
    expect(await claim()).toMatchObject({ status: 200, body: { display_name: "carol" } });
    for (const cmid of ids) {
      const ack = await send(alice, m.bob!.pubkey, cmid);
      expect(ack).toMatchObject({ queued: true });
      if (acked.has(cmid)) expect(ack).toMatchObject({ duplicate: true, messageId: acked.get(cmid) });
      acked.set(cmid, ack.messageId as string);
    }

    const pushedIds = () => bob.frames.filter(isMessagePush).map((f) => f.messageId as string);
    await waitUntil(() => new Set(pushedIds()).size === ids.length, {
      message: "every accepted message pushed to bob",
    });
    // A later message arrives after any redelivery of the earlier ones would have (accept order, §4.6).
    const barrier = await send(alice, m.bob!.pubkey, "fault-barrier");
    await bob.waitForPush(barrier.messageId as string);
    const pushed = pushedIds().filter((id) => id !== barrier.messageId);
    expect(pushed.sort()).toEqual([...acked.values()].sort());

    expect(logLines(/store failing/)).toHaveLength(1);
    expect(logLines(/store recovered/)).toHaveLength(1);
    expect(logLines(/accept batch failed|"stack"/)).toEqual([]);
  });
});

describe("timers while writes fail", () => {
  it("a working status going stale while the store fails is reported, and the broker keeps serving", async () => {
    const { mesh, m } = await meshWith(sweeping(), ["alice", "bob"]);
    const alice = await connectMember(sweeping().url, mesh.meshId, m.alice!, {
      capabilities: ["client_ack", "ok_replies"],
    });
    expect(await alice.request({ type: "set_status", status: "working" })).toMatchObject({ type: "ok" });
    writeFileSync(sweepFaultFile, "writes");
    // The sweep tries to write "idle" several times over while writes fail.
    await waitUntil(async () => (await httpJson(sweeping(), "GET", "/health/ready")).status === 503);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sweeping().alive).toBe(true);
    rmSync(sweepFaultFile);
    await waitUntil(async () => (await httpJson(sweeping(), "GET", "/health/ready")).status === 200);
    const bob = await connectMember(sweeping().url, mesh.meshId, m.bob!);
    const ack = await send(bob, m.alice!.pubkey, "after-sweep-fault");
    expect(ack).toMatchObject({ queued: true });
  });
});
