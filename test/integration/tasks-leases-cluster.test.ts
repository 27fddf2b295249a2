/**
 * Tasks and leases across three broker nodes on one PostgreSQL database (protocol.md §4.14, §6.3, §6.9a):
 * 20 claimers spread over the nodes, one winner; 20 overlapping acquirers, one holder; `task_change` and
 * `lease_change` reach presences on every node; a session's leases end with it (on `bye`, or when its node
 * dies and its presence expires) whichever node reads them.
 * Skipped without `TEST_DATABASE_URL`.
 */
import { describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/index.js";
import { connectMember, connectSession, meshWith, startBroker } from "../helpers/broker.js";
import { useCluster } from "../helpers/cluster.js";
import { postgresAvailable } from "../helpers/postgres.js";
import { raceLeaseAcquires, raceTaskClaims } from "../helpers/workspace-races.js";

describe.skipIf(!postgresAvailable("tasks and leases cluster"))("tasks and leases on three nodes", () => {
  // Short heartbeats, so the presences of a node that dies expire within the test.
  const timers = { heartbeatMs: 500, presenceExpiryMs: 4_000 };
  const { url, nodes, node } = useCluster("cm_tasks", timers);
  const options = { ...timers, databaseUrl: url };
  const urls = () => nodes.map((n) => n.url);

  it("20 claimers spread over the nodes: exactly one wins", async () => {
    await raceTaskClaims(node(0), urls());
  });

  it("20 overlapping acquirers spread over the nodes: exactly one holds the lease", async () => {
    await raceLeaseAcquires(node(0), urls());
  });

  it("task_change and lease_change reach presences on every node", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob", "carol"]);
    const alice = await connectMember(node(0).url, mesh.meshId, m.alice!);
    const bob = await connectMember(node(1).url, mesh.meshId, m.bob!);
    const carol = await connectMember(node(2).url, mesh.meshId, m.carol!);
    const [sinceBob, sinceCarol] = [bob.mark(), carol.mark()];
    const { id } = await alice.request({ type: "create_task", title: "x" });
    await alice.request({ type: "lease_acquire", resource: "r:x", ttlMs: 600_000 });
    for (const [peer, since] of [
      [bob, sinceBob],
      [carol, sinceCarol],
    ] as const) {
      expect((await peer.waitForEvent("task_change", { since })).eventData).toMatchObject({ taskId: id });
      expect((await peer.waitForEvent("lease_change", { since })).eventData).toMatchObject({
        resource: "r:x",
        action: "acquired",
      });
    }
    expect(await carol.request({ type: "mesh_info" })).toMatchObject({
      tasks: { open: 1, claimed: 0, done: 0 },
    });
  });

  it("a session's leases end when it leaves, for readers on every node", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob"]);
    const session = await connectSession(node(1).url, mesh.meshId, m.alice!, generateIdentity());
    const bob = await connectMember(node(2).url, mesh.meshId, m.bob!);
    await session.request({ type: "lease_acquire", resource: "r:y", ttlMs: 600_000 });
    expect(await bob.request({ type: "lease_acquire", resource: "r:y", ttlMs: 600_000 })).toMatchObject({
      code: "lease_held",
    });
    const since = bob.mark();
    session.send({ type: "bye" });
    // The `acquired` push from the session's node may still be on its way: wait for the release.
    const released = await bob.waitFor(
      (f) => f.event === "lease_change" && (f.eventData as { action?: string }).action === "released",
      { since, what: "lease_change released" },
    );
    expect(released.eventData).toMatchObject({ resource: "r:y", action: "released" });
    expect(await bob.request({ type: "lease_acquire", resource: "r:y", ttlMs: 600_000 })).toMatchObject({
      type: "lease_granted",
    });
  });

  it("a session's leases end when its node dies and its presence expires", async () => {
    const doomed = await startBroker(options);
    try {
      const { mesh, m } = await meshWith(node(0), ["alice", "bob"]);
      const session = await connectSession(doomed.url, mesh.meshId, m.alice!, generateIdentity());
      const bob = await connectMember(node(0).url, mesh.meshId, m.bob!);
      await session.request({ type: "lease_acquire", resource: "r:z", ttlMs: 600_000 });
      const since = bob.mark();
      await doomed.kill9();
      const released = await bob.waitFor(
        (f) => f.event === "lease_change" && (f.eventData as { action?: string }).action === "released",
        { since, timeoutMs: 20_000, what: "lease_change released" },
      );
      expect(released.eventData).toMatchObject({ resource: "r:z", action: "released" });
      expect((await bob.request({ type: "lease_list" })).leases).toEqual([]);
    } finally {
      await doomed.dispose();
    }
  }, 30_000);
});
