/**
 * leases (protocol.md §6.9a) against a real broker with raw peers: acquire, overlap at `/` boundaries,
 * re-acquire renews, renew, release (holder or admin), `lease_change` to every presence, a session's
 * leases ending with its `bye`, 20 racing acquirers with one winner, the per-member limit, and coded
 * errors for bad input.
 */
import { describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/index.js";
import {
  connectMember,
  connectSession,
  meshWith,
  useBroker,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";
import { raceLeaseAcquires } from "../helpers/workspace-races.js";

const broker = useBroker();
const TTL = 600_000;

function setup(...names: string[]): Promise<{ mesh: TestMesh; m: Record<string, TestMember> }> {
  return meshWith(broker(), names, (n) => (n.startsWith("admin") ? "admin" : "member"));
}

describe.concurrent("leases", () => {
  it("acquire, overlap refused with the holder, renew, release, lease_change to every presence", async () => {
    const { mesh, m } = await setup("alice", "bob");
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const since = bob.mark();
    const granted = await alice.request({
      type: "lease_acquire",
      resource: "r:src/",
      ttlMs: TTL,
      reason: "refactor",
    });
    expect(granted).toMatchObject({
      type: "lease_granted",
      resource: "r:src/",
      holderName: "alice",
      holderPubkey: m.alice!.pubkey,
      leaseId: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect((await bob.waitForEvent("lease_change", { since })).eventData).toEqual({
      resource: "r:src/",
      action: "acquired",
      holderName: "alice",
    });
    const held = await bob.request({ type: "lease_acquire", resource: "r:src/db/a.ts", ttlMs: TTL });
    expect(held).toMatchObject({
      type: "error",
      code: "lease_held",
      resource: "r:src/",
      holderName: "alice",
      holderPubkey: m.alice!.pubkey,
      expiresAt: granted.expiresAt,
    });
    expect(await bob.request({ type: "lease_acquire", resource: "r:srcs/a.ts", ttlMs: TTL })).toMatchObject({
      type: "lease_granted",
    });
    // Re-acquiring one's own renews it (same id).
    const again = await alice.request({ type: "lease_acquire", resource: "r:src/", ttlMs: 2 * TTL });
    expect(again).toMatchObject({ type: "lease_granted", leaseId: granted.leaseId });
    expect(Date.parse(again.expiresAt as string)).toBeGreaterThan(Date.parse(granted.expiresAt as string));
    const renewed = await alice.request({ type: "lease_renew", resource: "r:src/", ttlMs: TTL });
    expect(renewed).toMatchObject({ type: "lease_granted", leaseId: granted.leaseId });
    expect(await bob.request({ type: "lease_renew", resource: "r:src/", ttlMs: TTL })).toMatchObject({
      code: "not_found",
    });

    const list = await bob.request({ type: "lease_list" });
    expect(list.leases).toEqual([
      expect.objectContaining({ resource: "r:src/", holderName: "alice", reason: "refactor" }),
      expect.objectContaining({ resource: "r:srcs/a.ts", holderName: "bob", reason: "" }),
    ]);
    expect((await bob.request({ type: "lease_list", prefix: "r:srcs" })).leases).toHaveLength(1);

    expect(await bob.request({ type: "lease_release", resource: "r:src/" })).toMatchObject({
      code: "forbidden",
    });
    const mark = bob.mark();
    expect(await alice.request({ type: "lease_release", resource: "r:src/" })).toMatchObject({
      type: "lease_released",
      resource: "r:src/",
      released: true,
    });
    expect((await bob.waitForEvent("lease_change", { since: mark })).eventData).toMatchObject({
      resource: "r:src/",
      action: "released",
    });
    expect(await alice.request({ type: "lease_release", resource: "r:src/" })).toMatchObject({
      released: false,
    });
  });

  it("an admin may release another member's lease", async () => {
    const { mesh, m } = await setup("alice", "admin-ann");
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const admin = await connectMember(broker().url, mesh.meshId, m["admin-ann"]!);
    await alice.request({ type: "lease_acquire", resource: "branch:r:main", ttlMs: TTL });
    expect(await admin.request({ type: "lease_release", resource: "branch:r:main" })).toMatchObject({
      released: true,
    });
  });

  it("a session's leases end when it says bye; a member connection's outlive it", async () => {
    const { mesh, m } = await setup("alice", "bob");
    const watcher = await connectMember(broker().url, mesh.meshId, m.bob!);
    const session = await connectSession(broker().url, mesh.meshId, m.alice!, generateIdentity(), {
      displayName: "alice-s",
    });
    const member = await connectMember(broker().url, mesh.meshId, m.alice!);
    await session.request({ type: "lease_acquire", resource: "r:a.ts", ttlMs: TTL });
    await member.request({ type: "lease_acquire", resource: "r:b.ts", ttlMs: TTL });
    const since = watcher.mark();
    session.send({ type: "bye" });
    const released = await watcher.waitFor(
      (f) => f.event === "lease_change" && (f.eventData as { action?: string }).action === "released",
      { since },
    );
    expect(released.eventData).toEqual({ resource: "r:a.ts", action: "released", holderName: "alice-s" });
    expect((await watcher.request({ type: "lease_list" })).leases).toEqual([
      expect.objectContaining({ resource: "r:b.ts" }),
    ]);
    member.send({ type: "bye" });
    await member.waitForClose();
    expect((await watcher.request({ type: "lease_list" })).leases).toHaveLength(1);
  });

  it("of 20 concurrent overlapping acquirers exactly one holds the lease", async () => {
    await raceLeaseAcquires(broker(), [broker().url]);
  });

  it("a member holds at most 100 live leases", async () => {
    const { mesh, m } = await setup("alice");
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!, {
      capabilities: ["client_ack"],
    });
    for (let i = 0; i < 100; i++) {
      const reply = await alice.request({ type: "lease_acquire", resource: `r:f${i}`, ttlMs: TTL });
      expect(reply.type).toBe("lease_granted");
    }
    expect(await alice.request({ type: "lease_acquire", resource: "r:one-more", ttlMs: TTL })).toMatchObject({
      code: "limit",
    });
  });

  it("bad input gets invalid_message with the field named", async () => {
    const { mesh, m } = await setup("alice");
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const cases = [
      { resource: "r:x", ttlMs: 1_000 },
      { resource: "r:x", ttlMs: 86_400_001 },
      { resource: "x".repeat(513), ttlMs: TTL },
      { resource: "", ttlMs: TTL },
      { resource: "r:x", ttlMs: TTL, reason: "y".repeat(201) },
    ];
    for (const c of cases) {
      const reply = await alice.request({ type: "lease_acquire", ...c });
      expect(reply).toMatchObject({ type: "error", code: "invalid_message" });
    }
    expect(await alice.request({ type: "lease_list" })).toMatchObject({ leases: [] });
  });
});
