/**
 * audit log across three broker nodes on one PostgreSQL database (protocol.md §6.9b): tasks created and
 * leases acquired concurrently through every node append one gap-free chain that verifies, whichever node
 * reads it. Skipped without `TEST_DATABASE_URL`.
 */
import { describe, expect, it } from "vitest";
import { connectMember, meshWith } from "../helpers/broker.js";
import { useCluster } from "../helpers/cluster.js";
import { postgresAvailable, withDatabase } from "../helpers/postgres.js";

describe.skipIf(!postgresAvailable("audit cluster"))("audit log on three nodes", () => {
  const { url, nodes } = useCluster("cm_audit");

  it("concurrent appends from every node keep seq gap-free and the chain verifying", async () => {
    const names = ["alice", "bob", "carol"];
    const { mesh, m } = await meshWith(nodes[0]!, names);
    const peers = await Promise.all(names.map((n, i) => connectMember(nodes[i]!.url, mesh.meshId, m[n]!)));
    const PER_PEER = 10;
    await Promise.all(
      peers.flatMap((peer, i) =>
        Array.from({ length: PER_PEER }, (_, j) =>
          j % 2
            ? peer.request({ type: "create_task", title: `t${i}-${j}` })
            : peer.request({ type: "lease_acquire", resource: `r:${i}/${j}`, ttlMs: 600_000 }),
        ),
      ),
    );
    // mesh.created + an invite and a join per member + every task and lease.
    const expected = 1 + 2 * names.length + PER_PEER * names.length;
    for (const node of nodes) {
      const owner = await connectMember(node.url, mesh.meshId, mesh.owner);
      expect(await owner.request({ type: "audit_verify" })).toMatchObject({
        type: "audit_verify_result",
        ok: true,
        entries: expected,
      });
      owner.close();
    }
    const seqs = await withDatabase(
      url,
      (sql) =>
        sql<
          Array<{ seq: number }>
        >`SELECT seq::int AS seq FROM audit_log WHERE mesh_id = ${mesh.meshId} ORDER BY seq`,
    );
    expect(seqs.map((r) => r.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));

    await withDatabase(
      url,
      (sql) =>
        sql`UPDATE audit_log SET actor_name = 'mallory', at = at + 1 WHERE mesh_id = ${mesh.meshId} AND seq = 9`,
    );
    const owner = await connectMember(nodes[2]!.url, mesh.meshId, mesh.owner);
    expect(await owner.request({ type: "audit_verify" })).toMatchObject({ ok: false, brokenAt: 9 });
  });
});
