/**
 * Memory and skills through the real CLI, a real daemon and `--no-daemon`, on a SQLite broker and (with
 * TEST_DATABASE_URL) a PostgreSQL one: remember / recall / forget, skill share / get / list / remove, the
 * documented --json fields, coded errors for bad input — and afterwards none of the plaintext our clients
 * wrote is anywhere in the broker's files or database (protocol.md §5.8).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type BrokerProcess, filesUnder } from "../helpers/broker.js";
import { CliUser, json } from "../helpers/cli.js";
import { serverUrl, useFreshDatabase, withDatabase } from "../helpers/postgres.js";

interface MemoryRow {
  id: string;
  content: string;
  tags: string[];
  remembered_by: string;
  remembered_at: string;
}

/** Words that appear only in what our clients wrote; none may reach the broker's storage. */
const SECRETS = {
  memory: "zebracorn",
  stdinMemory: "quokkalamp",
  skill: "marmosetvault",
};

/** Every file under `dir`, recursively. */

/** Every row of every table of the database's public schema, as text. */
async function dumpDatabase(url: string): Promise<string> {
  return withDatabase(url, async (sql) => {
    const tables = await sql<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`;
    const parts: string[] = [];
    for (const { table_name } of tables) {
      const rows = await sql`SELECT * FROM ${sql(table_name)}`;
      parts.push(table_name, JSON.stringify(rows));
    }
    return parts.join("\n");
  });
}

const stores: Array<{ name: string; databaseUrl?: () => string }> = [{ name: "sqlite" }];
const pgUrl = serverUrl ? useFreshDatabase("cm_e2e_memory") : undefined;
if (pgUrl !== undefined) stores.push({ name: "postgres", databaseUrl: () => pgUrl });
else console.warn("cli memory and skills: TEST_DATABASE_URL is not set; the PostgreSQL run is skipped");

describe.each(stores)("memory and skills through the CLI ($name)", ({ databaseUrl }) => {
  let broker: BrokerProcess;
  let alice: CliUser;
  let bob: CliUser;
  let skillFile = "";

  beforeAll(async () => {
    broker = await startBroker(databaseUrl ? { databaseUrl: databaseUrl() } : {});
    alice = new CliUser("alice");
    bob = new CliUser("bob");
    await alice.createMesh(broker, "team", "alice");
    const link = (await alice.runJson<{ link: string }>(["invite"])).link;
    await bob.runJson(["join", link, "--name", "bob"]);
    expect((await alice.run(["daemon", "up"])).code).toBe(0);
    skillFile = join(alice.root, "SKILL.md");
    writeFileSync(
      skillFile,
      "---\nname: review\ndescription: Review a pull request\nmodel: opus\n---\n\n" +
        `Check the ${SECRETS.skill} first, then read the diff.\n`,
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all([alice?.dispose(), bob?.dispose()]);
    await broker?.dispose();
  });

  it("remembers through the daemon and recalls with --no-daemon, decrypted, every word matching", async () => {
    const stored = await alice.runJson<{ schema_version: string; id: string }>([
      "remember",
      `the ${SECRETS.memory} staging database listens on port 5433`,
      "--tags",
      "db,staging",
    ]);
    expect(stored.schema_version).toBe("1");
    expect(stored.id).toEqual(expect.any(String));
    const piped = await bob.runJson<{ id: string }>(["remember", "-", "--no-daemon"], {
      stdin: `deploys of ${SECRETS.stdinMemory} need the staging VPN\n`,
    });

    const found = await bob.runJson<{ memories: MemoryRow[] }>([
      "recall",
      "Staging",
      "DATABASE",
      "--no-daemon",
    ]);
    expect(found.memories).toEqual([
      {
        id: stored.id,
        content: `the ${SECRETS.memory} staging database listens on port 5433`,
        tags: ["db", "staging"],
        remembered_by: "alice",
        remembered_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      },
    ]);
    const staging = await alice.runJson<{ memories: MemoryRow[] }>(["recall", "staging"]);
    expect(staging.memories.map((m) => m.id)).toEqual([piped.id, stored.id]);
    // The newline the pipe ended the text with is not part of the memory.
    expect(staging.memories[0]).toMatchObject({
      remembered_by: "bob",
      tags: [],
      content: `deploys of ${SECRETS.stdinMemory} need the staging VPN`,
    });
    expect(
      (await alice.runJson<{ memories: MemoryRow[] }>(["recall", "staging", "kubernetes"])).memories,
    ).toEqual([]);

    const info = await alice.runJson<{ memory_count: number }>(["info"]);
    expect(info.memory_count).toBe(2);

    const human = await alice.run(["recall", "staging", "database"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`the ${SECRETS.memory} staging database listens on port 5433`);

    expect(await bob.runJson(["forget", piped.id, "--no-daemon"])).toEqual({
      schema_version: "1",
      id: piped.id,
      forgotten: true,
    });
    expect(
      (await alice.runJson<{ memories: MemoryRow[] }>(["recall", "staging"])).memories.map((m) => m.id),
    ).toEqual([stored.id]);
    expect((await alice.runJson<{ memory_count: number }>(["info", "--no-daemon"])).memory_count).toBe(1);
  });

  it("refuses bad memory input with coded errors and exit codes", async () => {
    const empty = await alice.run(["remember", "  ", "--json"]);
    expect(empty.code).toBe(2);
    expect(json<{ error: { code: string } }>({ ...empty, stdout: empty.stderr }).error.code).toBe(
      "invalid_argument",
    );

    const noWords = await alice.run(["recall", "a", "--json"]);
    expect(noWords.code).toBe(2);
    expect(noWords.stderr).toContain("no searchable words");

    for (const args of [
      ["forget", "no-such-memory"],
      ["forget", "no-such-memory", "--no-daemon"],
    ]) {
      const unknown = await alice.run([...args, "--json"]);
      // An unknown id is a bad argument (exit 2), with its own code.
      expect(unknown.code).toBe(2);
      expect(JSON.parse(unknown.stderr).error.code).toBe("not_found");
    }

    const tooLong = await bob.run(["remember", "-", "--no-daemon", "--json"], { stdin: "x".repeat(60_000) });
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain("longer than 48000 bytes");
  });

  it("shares, lists, gets, replaces and removes skills, through the daemon and with --no-daemon", async () => {
    expect(
      await alice.runJson(["skill", "share", "review", "--file", skillFile, "--tags", "code,pr"]),
    ).toEqual({
      schema_version: "1",
      name: "review",
      action: "shared",
    });
    await bob.runJson([
      "skill",
      "share",
      "deploy",
      "--file",
      skillFile,
      "--description",
      "Ship it",
      "--no-daemon",
    ]);

    const all = await bob.runJson<{ skills: Array<Record<string, unknown>> }>([
      "skill",
      "list",
      "--no-daemon",
    ]);
    expect(all.skills).toEqual([
      { name: "deploy", description: "Ship it", tags: [], author: "bob", created_at: expect.any(String) },
      {
        name: "review",
        description: "Review a pull request",
        tags: ["code", "pr"],
        author: "alice",
        created_at: expect.any(String),
      },
    ]);
    const byTag = await alice.runJson<{ skills: Array<{ name: string }> }>(["skill", "list", "PR"]);
    expect(byTag.skills.map((s) => s.name)).toEqual(["review"]);

    const got = await bob.runJson<{ skill: Record<string, unknown> | null }>([
      "skill",
      "get",
      "review",
      "--no-daemon",
    ]);
    expect(got.skill).toEqual({
      name: "review",
      description: "Review a pull request",
      instructions: `Check the ${SECRETS.skill} first, then read the diff.`,
      tags: ["code", "pr"],
      author: "alice",
      created_at: expect.any(String),
      manifest: { model: "opus" },
    });
    expect(await alice.runJson(["skill", "get", "nothing-here"])).toEqual({
      schema_version: "1",
      skill: null,
    });

    expect(await alice.runJson(["skill", "remove", "deploy"])).toEqual({
      schema_version: "1",
      name: "deploy",
      action: "removed",
    });
    expect(await alice.runJson(["skill", "remove", "deploy", "--no-daemon"])).toMatchObject({
      action: "not_found",
    });
    expect((await alice.runJson<{ skills: unknown[] }>(["skill", "list"])).skills).toHaveLength(1);
  });

  it("refuses bad skill input with coded errors", async () => {
    const badName = await alice.run(["skill", "share", "no spaces", "--file", skillFile, "--json"]);
    expect(badName.code).toBe(2);
    expect(JSON.parse(badName.stderr).error).toMatchObject({ code: "invalid_request" });
    expect(badName.stderr).toContain("skill name");

    const missing = await alice.run(["skill", "share", "x", "--file", join(alice.root, "nope.md"), "--json"]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stderr).error.code).toBe("file_not_found");

    const noFile = await alice.run(["skill", "share", "x", "--json"]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain("--file");
  });

  it("left none of the plaintext our clients wrote in the broker's storage", async () => {
    const texts = databaseUrl ? [await dumpDatabase(databaseUrl())] : [];
    for (const file of filesUnder(broker.dataDir)) texts.push(readFileSync(file).toString("latin1"));
    expect(texts.length).toBeGreaterThan(0);
    for (const secret of Object.values(SECRETS)) {
      for (const text of texts)
        expect(text.includes(secret), `"${secret}" found in broker storage`).toBe(false);
    }
    // The broker does hold what it must: the encrypted envelopes (a sanity check that we looked).
    expect(texts.some((t) => t.includes("cm:enc1:"))).toBe(true);
  });
});
