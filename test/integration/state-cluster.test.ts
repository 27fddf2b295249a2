/**
 * Shared state and contexts on three broker processes sharing one PostgreSQL database (protocol.md
 * §4.14, §6.1, §6.7): a `set_state` on one node reaches raw peers and a `claudemesh state watch` on
 * another, values too large for a cluster notice included; reads agree on every node; and the database
 * holds none of the plaintext our CLI wrote. Skipped without `TEST_DATABASE_URL`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectMember, meshWith } from "../helpers/broker.js";
import { CliUser } from "../helpers/cli.js";
import { useCluster } from "../helpers/cluster.js";
import { postgresAvailable, withDatabase } from "../helpers/postgres.js";
import { leaked, watchState } from "../helpers/state-watch.js";

describe.skipIf(!postgresAvailable("state cluster"))("state and contexts on three brokers", () => {
  const { url, node } = useCluster("cm_state_cluster");
  const users: CliUser[] = [];
  // Runs before the cluster's own teardown (after-hooks run last-registered first).
  afterAll(async () => {
    await Promise.all(users.map((u) => u.dispose()));
  });

  it("a set_state on node 1 reaches peers on nodes 2 and 3, also when the value is too large for a notice", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob", "carol"]);
    const alice = await connectMember(node(0).url, mesh.meshId, m.alice!, { capabilities: ["ok_replies"] });
    const bob = await connectMember(node(1).url, mesh.meshId, m.bob!);
    const carol = await connectMember(node(2).url, mesh.meshId, m.carol!);

    expect(await alice.request({ type: "set_state", key: "small", value: { n: 1 } })).toMatchObject({
      type: "ok",
    });
    for (const peer of [bob, carol]) {
      expect(await peer.waitFor((f) => f.type === "state_change" && f.key === "small")).toMatchObject({
        value: { n: 1 },
        updatedBy: "alice",
      });
    }
    // 20 KB: the notice goes without the value and node 3 reads it from the database.
    const big = { text: "b".repeat(20_000) };
    expect(await alice.request({ type: "set_state", key: "big", value: big })).toMatchObject({ type: "ok" });
    const change = await carol.waitFor((f) => f.type === "state_change" && f.key === "big");
    expect(change.value).toEqual(big);
    await bob.waitFor((f) => f.type === "state_change" && f.key === "big");

    // Every node reads the same.
    expect(await carol.request({ type: "get_state", key: "small" })).toMatchObject({ value: { n: 1 } });
    expect(await bob.request({ type: "mesh_info" })).toMatchObject({ stateKeys: ["big", "small"] });

    // A context shared on node 3 is announced on node 1.
    await carol.request({ type: "share_context", summary: "on node three", tags: ["n3"] });
    expect(await alice.waitFor((f) => f.type === "state_change" && f.key === "_context:carol")).toMatchObject(
      {
        value: "on node three",
      },
    );
    expect((await alice.request({ type: "get_context", query: "NODE THREE" })).contexts).toHaveLength(1);
  });

  it("claudemesh state set on node 1 reaches a state watch on node 3; the database keeps no plaintext", async () => {
    const alice = new CliUser("alice");
    const bob = new CliUser("bob");
    users.push(alice, bob);
    await alice.createMesh(node(0), "team", "alice");
    const { link } = await alice.runJson<{ link: string }>(["invite"]);
    await bob.runJson(["join", link, "--name", "bob"]);
    // Bob's daemon talks to node 3.
    const configFile = join(bob.configDir, "config.json");
    const config = JSON.parse(readFileSync(configFile, "utf8")) as { meshes: Array<{ broker_url: string }> };
    for (const mesh of config.meshes) mesh.broker_url = node(2).url;
    writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });

    const secrets = [`PLAIN-cluster-${Date.now()}`, `PLAIN-summary-${Date.now()}`];
    const watcher = await watchState(bob);
    try {
      await alice.runJson(["state", "set", "plan", JSON.stringify({ secret: secrets[0] })]);
      expect(await watcher.next("plan")).toMatchObject({
        value: { secret: secrets[0] },
        updated_by: "alice",
      });
      await alice.runJson(["context", "share", secrets[1]!, "--no-daemon"]);
      expect(await watcher.next("_context:alice", secrets[1])).toMatchObject({ updated_by: "alice" });
    } finally {
      expect(await watcher.stop()).toBe(0);
    }
    expect((await bob.runJson<{ value: unknown }>(["state", "get", "plan", "--no-daemon"])).value).toEqual({
      secret: secrets[0],
    });

    const dump = await withDatabase(url, async (sql) => {
      const tables = await sql<{ name: string }[]>`
        SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`;
      const texts: string[] = [];
      for (const { name } of tables) {
        const rows = await sql<{ row: string }[]>`SELECT t::text AS row FROM ${sql(name)} t`;
        texts.push(...rows.map((r) => r.row));
      }
      return texts.join("\n");
    });
    expect(dump).toContain("plan"); // the key is metadata the broker may see
    expect(leaked(dump, secrets)).toEqual([]);
  });
});
