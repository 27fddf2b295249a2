/**
 * Memory and skills across three broker nodes on one PostgreSQL database (protocol.md §4.14): a memory
 * remembered through node 1 is recalled through node 3 (full text and blind tokens), forgotten through
 * node 3 and gone on node 1; a skill shared through node 2 is read, listed and removed through the others;
 * `mesh_info.memoryCount` agrees on every node; the same through the real CLI, with one user's daemon on
 * node 1 and another user's `--no-daemon` commands on node 3. Skipped without TEST_DATABASE_URL.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CliUser } from "../helpers/cli.js";
import { AppClient, connectMember, meshWith } from "../helpers/broker.js";
import { useCluster } from "../helpers/cluster.js";
import { postgresAvailable } from "../helpers/postgres.js";

describe.skipIf(!postgresAvailable("memory and skills cluster"))("memory and skills on three brokers", () => {
  const { node } = useCluster("cm_memory_cluster");

  it("a memory remembered through node 1 is recalled and forgotten through node 3", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob", "carol"]);
    const alice = await AppClient.connect(node(0).url, mesh.meshId, m.alice!);
    const carol = await AppClient.connect(node(2).url, mesh.meshId, m.carol!);
    const plainAlice = await connectMember(node(0).url, mesh.meshId, m.alice!);
    const plainBob = await connectMember(node(1).url, mesh.meshId, m.bob!);
    const plainCarol = await connectMember(node(2).url, mesh.meshId, m.carol!);

    const sealed = await alice.client.rememberEncrypted("the canary cluster is in eu-west", mesh.rootKey);
    const plain = await plainAlice.request({ type: "remember", content: "Rollbacks take ten minutes" });

    expect(await carol.client.recallEncrypted("canary cluster", mesh.rootKey)).toEqual([
      expect.objectContaining({
        id: sealed.id,
        content: "the canary cluster is in eu-west",
        rememberedBy: "alice",
      }),
    ]);
    expect((await plainCarol.request({ type: "recall", query: "rollback minutes" })).memories).toEqual([
      expect.objectContaining({ id: plain.id, content: "Rollbacks take ten minutes" }),
    ]);
    for (const peer of [plainAlice, plainBob, plainCarol]) {
      expect((await peer.request({ type: "mesh_info" })).memoryCount).toBe(2);
    }

    await carol.client.forget(sealed.id);
    expect(await alice.client.recallEncrypted("canary", mesh.rootKey)).toEqual([]);
    expect((await plainBob.request({ type: "mesh_info" })).memoryCount).toBe(1);
  });

  it("a skill shared through node 2 is read, listed and removed through nodes 1 and 3", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob"]);
    const bob = await AppClient.connect(node(1).url, mesh.meshId, m.bob!);
    const alice = await AppClient.connect(node(0).url, mesh.meshId, m.alice!);
    const aliceOn3 = await AppClient.connect(node(2).url, mesh.meshId, m.alice!);
    await bob.client.shareSkillEncrypted(
      {
        name: "triage",
        description: "Triage an incident",
        instructions: "Page the on-call first.",
        tags: ["ops"],
      },
      mesh.rootKey,
    );
    expect((await alice.client.getSkillDecrypted("triage", mesh.rootKey))?.instructions).toBe(
      "Page the on-call first.",
    );
    expect((await aliceOn3.client.getSkill("triage"))?.instructions).toMatch(/^cm:enc1:/);
    expect((await aliceOn3.client.listSkills("OPS")).map((s) => s.name)).toEqual(["triage"]);
    expect((await aliceOn3.client.removeSkill("triage")).action).toBe("removed");
    expect(await bob.client.getSkill("triage")).toBeNull();
  });

  it("through the CLI: remembered by a daemon on node 1, recalled and forgotten with --no-daemon on node 3", async () => {
    const alice = new CliUser("alice");
    const bob = new CliUser("bob");
    try {
      await alice.createMesh({ url: node(0).url, adminToken: node(0).adminToken }, "team", "alice");
      const link = (await alice.runJson<{ link: string }>(["invite"])).link;
      await bob.runJson(["join", link, "--name", "bob"]);
      // Bob's config names node 3 (as if his invite had come from it).
      const configPath = join(bob.configDir, "config.json");
      const config = JSON.parse(readFileSync(configPath, "utf8")) as {
        meshes: Array<{ broker_url: string }>;
      };
      for (const mesh of config.meshes) mesh.broker_url = node(2).url;
      writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
      expect((await alice.run(["daemon", "up"])).code).toBe(0);

      const { id } = await alice.runJson<{ id: string }>(["remember", "the blue-green switch is manual"]);
      await alice.runJson(["skill", "share", "switch", "--file", writeSkill(alice.root)]);
      const recalled = await bob.runJson<{ memories: Array<{ id: string; content: string }> }>([
        "recall",
        "blue",
        "green",
        "--no-daemon",
      ]);
      expect(recalled.memories).toEqual([
        expect.objectContaining({ id, content: "the blue-green switch is manual" }),
      ]);
      const skill = await bob.runJson<{ skill: { instructions: string } | null }>([
        "skill",
        "get",
        "switch",
        "--no-daemon",
      ]);
      expect(skill.skill?.instructions).toBe("Flip the router, then watch errors.");

      await bob.runJson(["forget", id, "--no-daemon"]);
      expect((await alice.runJson<{ memories: unknown[] }>(["recall", "blue", "green"])).memories).toEqual(
        [],
      );
      expect((await alice.runJson<{ memory_count: number }>(["info"])).memory_count).toBe(0);
    } finally {
      await Promise.all([alice.dispose(), bob.dispose()]);
    }
  }, 60_000);
});

function writeSkill(dir: string): string {
  const path = join(dir, "SKILL.md");
  writeFileSync(path, "Flip the router, then watch errors.\n");
  return path;
}
