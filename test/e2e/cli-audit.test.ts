/**
 * The audit log through the real CLI, a real daemon and a real broker: the owner reads the log (through
 * the daemon and with `--no-daemon`) and verifies it; a plain member gets `forbidden`, exit 3; a bad
 * `--limit` is a usage error; a row edited in the database makes `audit verify` exit 1.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, waitUntil, type BrokerProcess } from "../helpers/broker.js";
import { CliUser, type CliResult } from "../helpers/cli.js";

interface EntryRow {
  seq: number;
  at: string;
  actor_name: string;
  actor_pubkey: string;
  action: string;
  target: string;
  hash: string;
}

function errorOf(result: CliResult): { code: string; message: string } {
  return (JSON.parse(result.stderr) as { error: { code: string; message: string } }).error;
}

describe("audit log through the CLI", () => {
  let broker: BrokerProcess;
  let alice: CliUser;
  let bob: CliUser;

  beforeAll(async () => {
    broker = await startBroker();
    alice = new CliUser("alice");
    bob = new CliUser("bob");
    await alice.createMesh(broker, "team", "alice");
    const { link } = await alice.runJson<{ link: string }>(["invite"]);
    await bob.runJson(["join", link, "--name", "bob"]);
    expect((await alice.run(["daemon", "up"])).code).toBe(0);
    // Alice's daemon sets the key of `general` and seals bob a copy (two audit entries): let it finish
    // first, so the log below is in a known order.
    await waitUntil(
      async () =>
        (
          await alice.runJson<{ members: Array<{ has_key: boolean }> }>(["topic", "members", "general"])
        ).members.every((m) => m.has_key),
      { timeoutMs: 20_000, message: "general's key was never set and sealed" },
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([alice, bob].map((u) => u?.dispose()));
    await broker?.dispose();
  });

  it("the owner sees the log and verifies it, through the daemon and without it", async () => {
    const { id } = await bob.runJson<{ id: string }>(["task", "create", "audit me", "--no-daemon"]);
    for (const extra of [[], ["--no-daemon"]]) {
      const { entries } = await alice.runJson<{ entries: EntryRow[] }>(["audit", "log", ...extra]);
      expect(entries.map((e) => [e.seq, e.action, e.actor_name])).toEqual([
        [6, "task.created", "bob"],
        [5, "topic.key_sealed", "alice"],
        [4, "topic.key_set", "alice"],
        [3, "member.joined", "bob"],
        [2, "invite.created", "alice"],
        [1, "mesh.created", "alice"],
      ]);
      expect(entries[0]).toEqual({
        seq: 6,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        actor_name: "bob",
        actor_pubkey: expect.stringMatching(/^[0-9a-f]{64}$/),
        action: "task.created",
        target: id,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const limited = await alice.runJson<{ entries: EntryRow[] }>([
        "audit",
        "log",
        "--limit",
        "1",
        ...extra,
      ]);
      expect(limited.entries.map((e) => e.seq)).toEqual([6]);
      const verified = await alice.runJson<{ ok: boolean; entries: number; head: string }>([
        "audit",
        "verify",
        ...extra,
      ]);
      expect(verified).toMatchObject({ ok: true, entries: 6, head: entries[0]!.hash });
    }
    const human = await alice.run(["audit", "log"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("task.created");
    expect((await alice.run(["audit", "verify"])).stdout).toContain("intact");
  });

  it("a plain member gets forbidden (exit 3); a bad --limit is a usage error (exit 2)", async () => {
    for (const verb of ["log", "verify"]) {
      const refused = await bob.run(["audit", verb, "--no-daemon", "--json"]);
      expect(refused.code).toBe(3);
      expect(errorOf(refused).code).toBe("forbidden");
      expect(errorOf(refused).message).toContain("owner or an admin");
    }
    const bad = await alice.run(["audit", "log", "--limit", "501", "--json"]);
    expect(bad.code).toBe(2);
  });

  it("verify exits 1 once the newest entries were cut off after this machine verified them", async () => {
    const before = JSON.parse((await alice.run(["audit", "verify", "--json"])).stdout) as { entries: number };
    const db = new Database(join(broker.dataDir, "broker.db"));
    try {
      db.prepare("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)").run();
    } finally {
      db.close();
    }
    // The chain left is whole, so only the head the daemon kept shows the cut.
    const cut = await alice.run(["audit", "verify", "--json"]);
    expect(cut.code).toBe(1);
    expect(JSON.parse(cut.stdout)).toMatchObject({
      ok: false,
      entries: before.entries - 1,
      broken_at: before.entries,
    });
  });

  it("verify exits 1 with ok:false and broken_at once a row was edited in the broker's database", async () => {
    const db = new Database(join(broker.dataDir, "broker.db"));
    try {
      db.prepare("UPDATE audit_log SET target = 'invite:0000000000000000' WHERE seq = 2").run();
    } finally {
      db.close();
    }
    const broken = await alice.run(["audit", "verify", "--json"]);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, broken_at: 2 });
  });
});
