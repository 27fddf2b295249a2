/**
 * Tasks and leases through the real CLI, real daemons and real brokers — one broker on SQLite, and three
 * nodes on one PostgreSQL database (each user on another node) when `TEST_DATABASE_URL` is set: every verb
 * through the daemon and with `--no-daemon`, 20 concurrent `task claim` and `lease acquire` with one
 * winner, coded errors for bad input, and no task title or result the CLI wrote found in the broker's
 * files or tables.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, waitUntil, type BrokerProcess, filesUnder } from "../helpers/broker.js";
import { CliUser, type CliResult } from "../helpers/cli.js";
import { postgresAvailable, useFreshDatabase, withDatabase } from "../helpers/postgres.js";
import { DaemonClient } from "../../src/daemon-api/client.js";
import { daemonEvents, type DaemonEvent } from "../../src/daemon-api/events.js";

interface TaskRow {
  id: string;
  title: string;
  assignee: string | null;
  claimed_by: string | null;
  status: string;
  priority: string;
  created_by: string;
  tags: string[];
  result: string | null;
  created_at: string;
}

const SECRET_TITLE = "plaintext-title-7f3a91 migrate the billing schema";
const SECRET_RESULT = "plaintext-result-c41d02 merged as #77";
const SECRETS = [SECRET_TITLE, SECRET_RESULT, "plaintext-title-7f3a91", "plaintext-result-c41d02"];

function errorOf(result: CliResult): { code: string; message: string; hint?: string } {
  return (JSON.parse(result.stderr) as { error: { code: string; message: string; hint?: string } }).error;
}

/** Points a user's config at another node of the cluster (the invite names the first). */
function useNode(user: CliUser, url: string): void {
  const file = join(user.configDir, "config.json");
  const config = JSON.parse(readFileSync(file, "utf8")) as { meshes: Array<{ broker_url: string }> };
  for (const mesh of config.meshes) mesh.broker_url = url;
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
}

function suite(kind: "sqlite" | "postgres"): void {
  const databaseUrl = kind === "postgres" ? useFreshDatabase("cm_e2e_tasks") : undefined;
  const nodes: BrokerProcess[] = [];
  let alice: CliUser;
  let bob: CliUser;
  let carol: CliUser;

  beforeAll(async () => {
    const options = databaseUrl === undefined ? {} : { databaseUrl };
    nodes.push(await startBroker(options));
    if (kind === "postgres") nodes.push(...(await Promise.all([startBroker(options), startBroker(options)])));
    alice = new CliUser("alice");
    bob = new CliUser("bob");
    carol = new CliUser("carol");
    await alice.createMesh(nodes[0]!, "team", "alice");
    for (const [user, i] of [
      [bob, 1],
      [carol, 2],
    ] as const) {
      const { link } = await alice.runJson<{ link: string }>(["invite"]);
      await user.runJson(["join", link, "--name", user.name]);
      useNode(user, nodes[i % nodes.length]!.url);
    }
    for (const user of [alice, bob]) expect((await user.run(["daemon", "up"])).code).toBe(0);
    await waitUntil(
      async () =>
        (await alice.runJson<{ peers: Array<{ display_name: string }> }>(["peers", "--all"])).peers.some(
          (p) => p.display_name === "bob",
        ),
      { timeoutMs: 20_000, message: "alice never saw bob's daemon" },
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([alice, bob, carol].map((u) => u?.dispose()));
    await Promise.all(nodes.map((n) => n.dispose()));
  });

  it("create, list, claim, complete through the daemon and without it; titles and results read back", async () => {
    const { id } = await alice.runJson<{ id: string }>([
      "task",
      "create",
      SECRET_TITLE,
      "--assign",
      "bob",
      "--priority",
      "high",
      "--tags",
      "db,billing",
    ]);
    const listed = await carol.runJson<{ tasks: TaskRow[] }>(["task", "list", "--no-daemon"]);
    expect(listed.tasks.find((t) => t.id === id)).toEqual({
      id,
      title: SECRET_TITLE,
      assignee: "bob",
      claimed_by: null,
      status: "open",
      priority: "high",
      created_by: "alice",
      tags: ["db", "billing"],
      result: null,
      created_at: expect.any(String),
    });
    expect(await bob.runJson(["task", "claim", id])).toEqual({
      schema_version: "1",
      id,
      status: "claimed",
      claimed_by: "bob",
    });
    for (const extra of [[], ["--no-daemon"]]) {
      const lost = await alice.run(["task", "claim", id, "--json", ...extra]);
      expect(lost.code).toBe(1);
      expect(errorOf(lost)).toEqual({
        code: "task_not_claimable",
        message: expect.stringContaining("claimed by bob"),
        hint: expect.stringContaining("claudemesh task list"),
      });
    }
    const forbidden = await carol.run(["task", "complete", id, "--no-daemon", "--json"]);
    expect(forbidden.code).toBe(3);
    expect(errorOf(forbidden).code).toBe("forbidden");
    expect(
      await bob.runJson(["task", "complete", id, "--result", SECRET_RESULT, "--no-daemon"]),
    ).toMatchObject({
      id,
      status: "done",
    });
    const done = await alice.runJson<{ tasks: TaskRow[] }>(["task", "list", "--status", "done"]);
    expect(done.tasks.find((t) => t.id === id)).toMatchObject({ title: SECRET_TITLE, result: SECRET_RESULT });
    const info = await alice.runJson<{ tasks: { done: number } }>(["info"]);
    expect(info.tasks.done).toBeGreaterThanOrEqual(1);
    // A done task keeps its result: another one given later is refused, the same one again is a retry.
    const again = await alice.run(["task", "complete", id, "--result", "a later result", "--json"]);
    expect(again.code).toBe(1);
    expect(errorOf(again)).toMatchObject({
      code: "task_already_done",
      message: expect.stringContaining(SECRET_RESULT),
    });
    expect((await bob.run(["task", "complete", id, "--result", SECRET_RESULT])).code).toBe(0);
    const human = await alice.run(["task", "list", "--assignee", "bob"]);
    expect(human.stdout).toContain(SECRET_TITLE);
    expect(human.stdout).toMatch(/ASSIGNEE/);
    // An assignee must be someone in the mesh: a typo is refused with the candidates.
    const typo = await alice.run(["task", "create", "nobody's", "--assign", "bbo", "--json"]);
    expect(typo.code).toBe(2);
    expect(errorOf(typo)).toMatchObject({ code: "unknown_target" });
    expect(JSON.stringify(errorOf(typo))).toContain("bob");
  });

  it("assigns a task to a member who joined a moment ago", async () => {
    const dan = new CliUser("dan");
    try {
      // Alice's daemon has the roster in hand from resolving an assignee.
      await alice.runJson(["task", "create", "roster warm-up", "--assign", "bob"]);
      const { link } = await alice.runJson<{ link: string }>(["invite"]);
      await dan.runJson(["join", link, "--name", "dan"]);
      const created = await alice.run(["task", "create", "welcome dan", "--assign", "dan", "--json"]);
      expect(created.code, created.stderr).toBe(0);
      const { id } = JSON.parse(created.stdout) as { id: string };
      const listed = await alice.runJson<{ tasks: TaskRow[] }>(["task", "list", "--assignee", "dan"]);
      expect(listed.tasks.map((t) => [t.id, t.assignee])).toEqual([[id, "dan"]]);
    } finally {
      await dan.dispose();
    }
  });

  it("of 20 concurrent `task claim` exactly one wins; the others exit 1 with task_not_claimable", async () => {
    const { id } = await alice.runJson<{ id: string }>(["task", "create", "race me"]);
    const users = [alice, bob, carol];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const user = users[i % users.length]!;
        const cold = user === carol || i % 2 === 0 ? ["--no-daemon"] : [];
        return user.run(["task", "claim", id, "--json", ...cold], { timeoutMs: 60_000 });
      }),
    );
    expect(results.filter((r) => r.code === 0)).toHaveLength(1);
    const losers = results.filter((r) => r.code !== 0);
    expect(losers.map((r) => [r.code, errorOf(r).code])).toEqual(
      Array.from({ length: 19 }, () => [1, "task_not_claimable"]),
    );
  }, 90_000);

  it("leases: acquire, held by another (exit 1), check for a pre-commit hook, renew, list, release", async () => {
    const grant = await alice.runJson<{ resource: string; holder_name: string; expires_at: string }>([
      "lease",
      "acquire",
      "src/broker/",
      "--ttl",
      "45m",
      "--reason",
      "refactor",
    ]);
    expect(grant).toMatchObject({ resource: expect.stringMatching(/:src\/broker\/$/), holder_name: "alice" });
    for (const extra of [[], ["--no-daemon"]]) {
      const held = await bob.run(["lease", "acquire", "src/broker/index.ts", "--json", ...extra]);
      expect(held.code).toBe(1);
      expect(errorOf(held)).toMatchObject({ code: "lease_held", message: expect.stringContaining("alice") });
    }
    const check = await bob.run(["lease", "check", "src/broker/index.ts", "README.md", "--json"]);
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout)).toEqual({
      schema_version: "1",
      conflicts: [
        {
          path: "src/broker/index.ts",
          resource: grant.resource,
          holder_name: "alice",
          expires_at: expect.any(String),
        },
      ],
    });
    expect((await bob.run(["lease", "check", "README.md", "--no-daemon"])).code).toBe(0);
    // One's own lease is no conflict.
    expect((await alice.run(["lease", "check", "src/broker/index.ts"])).code).toBe(0);

    const renewed = await alice.runJson<{ expires_at: string }>([
      "lease",
      "renew",
      "src/broker/",
      "--ttl",
      "2h",
    ]);
    expect(Date.parse(renewed.expires_at)).toBeGreaterThan(Date.parse(grant.expires_at));
    const list = await carol.runJson<{ leases: Array<Record<string, unknown>> }>([
      "lease",
      "list",
      "--no-daemon",
    ]);
    expect(list.leases).toContainEqual({
      resource: grant.resource,
      holder_name: "alice",
      holder_pubkey: expect.any(String),
      reason: "refactor",
      acquired_at: expect.any(String),
      expires_at: renewed.expires_at,
      lease_id: expect.any(String),
    });
    expect(await alice.runJson(["lease", "release", "src/broker/", "--no-daemon"])).toEqual({
      schema_version: "1",
      resource: grant.resource,
      released: true,
    });
    expect(await bob.runJson(["lease", "acquire", "branch:main", "--ttl", "10m"])).toMatchObject({
      resource: expect.stringMatching(/^branch:.+:main$/),
    });
    expect((await bob.runJson(["lease", "release", "branch:main"])).released).toBe(true);
  });

  it("of 20 concurrent overlapping `lease acquire` exactly one holds the lease", async () => {
    const users = [alice, bob, carol];
    const paths = ["src/cli/", "src/cli/main.ts", "src/cli"];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const user = users[i % users.length]!;
        const cold = user === carol || i % 2 === 0 ? ["--no-daemon"] : [];
        return user.run(["lease", "acquire", paths[i % paths.length]!, "--json", ...cold], {
          timeoutMs: 60_000,
        });
      }),
    );
    const winners = results.filter((r) => r.code === 0);
    const holders = new Set(
      winners.map((r) => (JSON.parse(r.stdout) as { holder_name: string }).holder_name),
    );
    // A member re-acquiring its own lease renews it: all the successes are one member's.
    expect(holders.size).toBe(1);
    for (const r of results.filter((r) => r.code !== 0)) {
      expect([r.code, errorOf(r).code]).toEqual([1, "lease_held"]);
    }
    const { leases } = await alice.runJson<{ leases: Array<{ resource: string; holder_name: string }> }>([
      "lease",
      "list",
    ]);
    const onCli = leases.filter((l) => /:src\/cli/.test(l.resource));
    expect(new Set(onCli.map((l) => l.holder_name))).toEqual(holders);
  }, 90_000);

  it("the daemon's event stream carries task and lease events for another member's changes", async () => {
    const client = new DaemonClient({ socketPath: join(alice.daemonDir, "daemon.sock"), token: null });
    const abort = new AbortController();
    const seen: DaemonEvent[] = [];
    const opened = new Promise<void>((resolve, reject) => {
      void (async () => {
        try {
          for await (const event of daemonEvents(client, { signal: abort.signal, onOpen: resolve }))
            seen.push(event);
        } catch (error) {
          if (!abort.signal.aborted) reject(error instanceof Error ? error : new Error(String(error)));
        }
      })();
    });
    await opened;
    try {
      const { id } = await bob.runJson<{ id: string }>(["task", "create", "watched task", "--no-daemon"]);
      const grant = await bob.runJson<{ resource: string }>(["lease", "acquire", "docs/", "--no-daemon"]);
      await waitUntil(() => seen.find((e) => e.event === "task"), {
        timeoutMs: 10_000,
        message: "no task event",
      });
      await waitUntil(() => seen.find((e) => e.event === "lease"), {
        timeoutMs: 10_000,
        message: "no lease event",
      });
      expect(seen.find((e) => e.event === "task")?.data).toEqual({
        mesh: "team",
        taskId: id,
        action: "created",
        status: "open",
        by: "bob",
      });
      expect(seen.find((e) => e.event === "lease")?.data).toEqual({
        mesh: "team",
        resource: grant.resource,
        action: "acquired",
        holderName: "bob",
      });
    } finally {
      abort.abort();
    }
    // Bob's one-shot connection is gone; his member lease stays until released.
    expect((await bob.runJson<{ released: boolean }>(["lease", "release", "docs/"])).released).toBe(true);
  });

  it("bad input: unknown task ids, bad --ttl, over-long resources, a path outside the repository", async () => {
    for (const extra of [[], ["--no-daemon"]]) {
      const claim = await alice.run(["task", "claim", "no-such-task", "--json", ...extra]);
      expect([claim.code, errorOf(claim).code]).toEqual([1, "task_not_claimable"]);
      const complete = await alice.run(["task", "complete", "no-such-task", "--json", ...extra]);
      expect([complete.code, errorOf(complete).code]).toEqual([1, "task_not_found"]);
      const short = await alice.run(["lease", "acquire", "README.md", "--ttl", "10s", "--json", ...extra]);
      expect([short.code, errorOf(short).code]).toEqual([2, "invalid_ttl"]);
      const long = await alice.run(["lease", "acquire", `${"d/".repeat(300)}x.ts`, "--json", ...extra]);
      expect(long.code).toBe(2);
      expect(errorOf(long).message).toContain("512");
      // A hint is a real one or left out, never empty.
      for (const refused of [claim, complete, short, long]) expect(errorOf(refused).hint).not.toBe("");
    }
    const garbled = await alice.run(["lease", "acquire", "README.md", "--ttl", "soon", "--json"]);
    expect([garbled.code, errorOf(garbled).code]).toEqual([2, "invalid_argument"]);
    const outside = await alice.run(["lease", "acquire", "/", "--json"]);
    expect([outside.code, errorOf(outside).code]).toEqual([2, "invalid_resource"]);
  });

  it("the broker never stored a task title or result in plaintext", async () => {
    const found: string[] = [];
    if (kind === "sqlite") {
      let envelopes = 0;
      for (const file of filesUnder(nodes[0]!.dataDir)) {
        const bytes = readFileSync(file);
        if (bytes.includes(Buffer.from("cm:enc1:"))) envelopes++;
        for (const secret of SECRETS)
          if (bytes.includes(Buffer.from(secret))) found.push(`${file}: ${secret}`);
      }
      // The search looks where the tasks are: their encrypted titles are in these files.
      expect(envelopes).toBeGreaterThan(0);
    } else {
      const dump = await withDatabase(databaseUrl, async (sql) => {
        const tables = await sql<Array<{ name: string }>>`
          SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
          WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`;
        const parts: string[] = [];
        for (const { name } of tables) {
          const [row] = await sql.unsafe<Array<{ text: string | null }>>(
            `SELECT json_agg(t)::text AS text FROM ${name} t`,
          );
          parts.push(row?.text ?? "");
        }
        return parts.join("\n");
      });
      expect(dump).toContain("cm:enc1:");
      for (const secret of SECRETS) if (dump.includes(secret)) found.push(`postgres: ${secret}`);
    }
    expect(found).toEqual([]);
  });
}

describe("tasks and leases through the CLI on one SQLite broker", () => suite("sqlite"));
describe.skipIf(!postgresAvailable("cli tasks and leases on three nodes"))(
  "tasks and leases through the CLI on three PostgreSQL nodes",
  () => suite("postgres"),
);
