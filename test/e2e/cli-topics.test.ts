/**
 * Topics through the real CLI, real daemons and real brokers — one broker on SQLite, and three nodes on
 * one PostgreSQL database (each user on another node) when `TEST_DATABASE_URL` is set. `general` gets its
 * key from the first daemon that sees it; a member who joins after the first posts reads them once an
 * online member's daemon sealed the key for it, with no command from anyone; a post reaches a member whose
 * daemon was down when it returns; private topics never reach non-members; every verb through the daemon
 * and with `--no-daemon`; and no topic body is found in plaintext in the broker's files or tables.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMember, startBroker, waitUntil, type BrokerProcess, filesUnder } from "../helpers/broker.js";
import { encryptMulticast, openTopicKey } from "../../src/crypto/index.js";
import { CLI_BIN, CliUser, ROOT, type CliResult } from "../helpers/cli.js";
import { postgresAvailable, useFreshDatabase, withDatabase } from "../helpers/postgres.js";

interface TopicMessage {
  id: string;
  from_name: string;
  body: string;
  encrypted: boolean;
  sent_at: string;
}
interface InboxRow {
  id: string;
  from_name: string;
  body: string;
  topic: string | null;
}

const FIRST = "plaintext-topic-2c8e41 the deploy window is 14:00";
const SECOND = "plaintext-topic-9d7a03 rollback plan attached";
const WHILE_AWAY = "plaintext-topic-51bb6e posted while carol was away";
const PRIVATE = "plaintext-topic-e07f18 only for ops";
const FROM_BOB = "plaintext-topic-a4c290 bob answers";
const EARLY = "plaintext-topic-3f60d2 sent before dave had the key";
const SECRETS = [FIRST, SECOND, WHILE_AWAY, PRIVATE, FROM_BOB, EARLY, "plaintext-topic-"];
/** Key holders ask who waits for a copy this often (the default is 30 s). */
const POLL_ENV = { CLAUDEMESH_TOPIC_SEAL_POLL_MS: "500" };

function errorOf(result: CliResult): { code: string; message: string } {
  return (JSON.parse(result.stderr) as { error: { code: string; message: string } }).error;
}

function useNode(user: CliUser, url: string): void {
  const file = join(user.configDir, "config.json");
  const config = JSON.parse(readFileSync(file, "utf8")) as { meshes: Array<{ broker_url: string }> };
  for (const mesh of config.meshes) mesh.broker_url = url;
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
}

/** `claudemesh topic tail <topic> --json` in the background, once it follows. */
async function tailTopic(user: CliUser, topic: string, extra: readonly string[]) {
  const child = spawn(process.execPath, [CLI_BIN, "topic", "tail", topic, ...extra, "--json"], {
    cwd: ROOT,
    env: user.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines = () =>
    stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  try {
    await waitUntil(() => stderr.includes("following") || undefined, {
      timeoutMs: 20_000,
      message: `topic tail did not start: ${stderr}`,
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    next: (body: string) =>
      waitUntil(() => lines().find((l) => l.body === body), {
        timeoutMs: 15_000,
        message: `tail never printed ${body}: ${stdout} ${stderr}`,
      }),
    async stop() {
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

async function history(user: CliUser, topic: string, extra: string[] = []): Promise<TopicMessage[]> {
  return (await user.runJson<{ messages: TopicMessage[] }>(["topic", "history", topic, ...extra])).messages;
}

function suite(kind: "sqlite" | "postgres"): void {
  const databaseUrl = kind === "postgres" ? useFreshDatabase("cm_e2e_topics") : undefined;
  const nodes: BrokerProcess[] = [];
  let alice: CliUser;
  let bob: CliUser;
  let carol: CliUser;
  let dave: CliUser;

  async function joinMesh(user: CliUser, node: number): Promise<void> {
    const { link } = await alice.runJson<{ link: string }>(["invite"]);
    await user.runJson(["join", link, "--name", user.name]);
    useNode(user, nodes[node % nodes.length]!.url);
  }

  beforeAll(async () => {
    const options = databaseUrl === undefined ? {} : { databaseUrl };
    nodes.push(await startBroker(options));
    if (kind === "postgres") nodes.push(...(await Promise.all([startBroker(options), startBroker(options)])));
    alice = new CliUser("alice", POLL_ENV);
    bob = new CliUser("bob", POLL_ENV);
    carol = new CliUser("carol", POLL_ENV);
    dave = new CliUser("dave", POLL_ENV);
    await alice.createMesh(nodes[0]!, "team", "alice");
    expect((await alice.run(["daemon", "up"])).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([alice, bob, carol, dave].map((u) => u?.dispose()));
    await Promise.all(nodes.map((n) => n.dispose()));
  });

  it("general gets its key from the first daemon; a later member reads the earlier posts, decrypted", async () => {
    await waitUntil(
      async () =>
        (
          await alice.runJson<{ topics: Array<{ name: string; encrypted: boolean }> }>(["topic", "list"])
        ).topics.some((t) => t.name === "general" && t.encrypted),
      { timeoutMs: 20_000, message: "alice's daemon never claimed general's key" },
    );
    const sent = await alice.runJson<{ status: string }>(["send", "#general", FIRST]);
    expect(sent.status).toBe("sent");
    await alice.runJson(["topic", "post", "general", SECOND]);

    // Bob joins the mesh after the posts; alice's daemon seals him a copy on its own.
    await joinMesh(bob, 1);
    expect((await bob.run(["daemon", "up"])).code).toBe(0);
    await waitUntil(
      async () => {
        const msgs = await history(bob, "general");
        return msgs.length === 2 && msgs.every((m) => m.encrypted);
      },
      { timeoutMs: 30_000, message: "bob never read general's history" },
    );
    const msgs = await history(bob, "general");
    expect(msgs.map((m) => [m.from_name, m.body, m.encrypted])).toEqual([
      ["alice", FIRST, true],
      ["alice", SECOND, true],
    ]);
    const members = await bob.runJson<{ members: Array<{ display_name: string; has_key: boolean }> }>([
      "topic",
      "members",
      "general",
    ]);
    expect(members.members.map((m) => [m.display_name, m.has_key])).toEqual([
      ["alice", true],
      ["bob", true],
    ]);

    // Bob's post reaches alice's inbox, opened and named by its topic.
    await bob.runJson(["topic", "post", "#general", FROM_BOB]);
    await waitUntil(
      async () =>
        (await alice.runJson<{ messages: InboxRow[] }>(["inbox"])).messages.some((m) => m.body === FROM_BOB),
      { timeoutMs: 20_000, message: "bob's post never reached alice" },
    );
    const row = (await alice.runJson<{ messages: InboxRow[] }>(["inbox"])).messages.find(
      (m) => m.body === FROM_BOB,
    );
    expect(row).toMatchObject({ from_name: "bob", topic: "general" });
    const list = await alice.runJson<{ topics: Array<{ name: string; unread: number; joined: boolean }> }>([
      "topic",
      "list",
    ]);
    expect(list.topics.find((t) => t.name === "general")).toMatchObject({ joined: true, unread: 1 });
  }, 120_000);

  it("a post reaches a member whose daemon was down, when it comes back", async () => {
    await joinMesh(carol, 2);
    // Carol's copy is sealed while her daemon is down (she is a member since her invite claim).
    await waitUntil(
      async () =>
        (
          await alice.runJson<{ members: Array<{ display_name: string; has_key: boolean }> }>([
            "topic",
            "members",
            "general",
          ])
        ).members.some((m) => m.display_name === "carol" && m.has_key),
      { timeoutMs: 20_000, message: "nobody sealed carol a copy" },
    );
    await alice.runJson(["topic", "post", "general", WHILE_AWAY]);
    expect((await carol.run(["daemon", "up"])).code).toBe(0);
    await waitUntil(
      async () =>
        (await carol.runJson<{ messages: InboxRow[] }>(["inbox"])).messages.some(
          (m) => m.body === WHILE_AWAY,
        ),
      { timeoutMs: 30_000, message: "carol never got the post made while she was away" },
    );
    const bodies = (await carol.runJson<{ messages: InboxRow[] }>(["inbox"])).messages.map((m) => m.body);
    expect(bodies.some((b) => b.includes("could not be decrypted"))).toBe(false);
    // Through the daemon and without it, the history reads the same.
    const viaDaemon = await history(carol, "general", ["--limit", "2"]);
    const direct = await history(carol, "general", ["--limit", "2", "--no-daemon"]);
    expect(direct).toEqual(viaDaemon);
    expect(viaDaemon.map((m) => m.body)).toEqual([FROM_BOB, WHILE_AWAY]);
  }, 120_000);

  it("a private topic never reaches non-members; a lead adds members", async () => {
    const created = await alice.runJson<{
      name: string;
      visibility: string;
      created: boolean;
      encrypted: boolean;
    }>(["topic", "create", "ops", "--private", "--description", "on call"]);
    expect(created).toMatchObject({ name: "ops", visibility: "private", created: true, encrypted: true });
    const again = await alice.runJson<{ created: boolean }>(["topic", "create", "ops", "--no-daemon"]);
    expect(again.created).toBe(false);
    await alice.runJson(["topic", "join", "ops", "--member", "bob"]);
    await alice.runJson(["topic", "post", "ops", PRIVATE]);
    await waitUntil(async () => (await history(bob, "ops")).some((m) => m.body === PRIVATE), {
      timeoutMs: 30_000,
      message: "bob never read ops",
    });
    const carolSees = await carol.runJson<{ topics: Array<{ name: string }> }>(["topic", "list"]);
    expect(carolSees.topics.map((t) => t.name)).not.toContain("ops");
    const refused = await carol.run(["topic", "history", "ops", "--json"]);
    expect(errorOf(refused).code).toBe("forbidden");
    const cannotPost = await carol.run(["topic", "post", "ops", "hi", "--json"]);
    expect(cannotPost.code).not.toBe(0);
    const inbox = (await carol.runJson<{ messages: InboxRow[] }>(["inbox"])).messages;
    expect(inbox.some((m) => m.body === PRIVATE || m.topic === "ops")).toBe(false);

    // Leave and join with and without the daemon.
    expect(await bob.runJson(["topic", "leave", "general", "--no-daemon"])).toMatchObject({ joined: false });
    expect(await bob.runJson(["topic", "join", "general"])).toMatchObject({ topic: "general", joined: true });
    const bad = await alice.run(["topic", "create", "Not A Name", "--json"]);
    expect([bad.code, errorOf(bad).code]).toEqual([2, "invalid_argument"]);
    const missing = await alice.run(["topic", "history", "nope", "--json"]);
    expect(errorOf(missing).code).toBe("topic_not_found");
  }, 120_000);

  it("topic tail streams new posts as JSON lines and marks them read, with and without the daemon", async () => {
    for (const extra of [[], ["--no-daemon"]]) {
      const tail = await tailTopic(bob, "general", extra);
      try {
        const body = `tail-${extra.length}-${Date.now()}`;
        await alice.runJson(["topic", "post", "general", body]);
        const line = await tail.next(body);
        expect(line).toMatchObject({ topic: "general", from_name: "alice", body, encrypted: true });
        await waitUntil(
          async () =>
            (
              await bob.runJson<{ topics: Array<{ name: string; unread: number }> }>(["topic", "list"])
            ).topics.find((t) => t.name === "general")?.unread === 0,
          { timeoutMs: 10_000, message: "tail did not mark general read" },
        );
      } finally {
        expect(await tail.stop()).toBe(0);
      }
    }
  }, 120_000);

  it("a post that arrives before the member's key copy is kept, then opened when the copy comes", async () => {
    // No daemon holding general's key is online: dave's copy cannot be sealed yet.
    for (const user of [alice, bob, carol]) expect((await user.run(["daemon", "down"])).code).toBe(0);
    await joinMesh(dave, 0);
    expect((await dave.run(["daemon", "up"])).code).toBe(0);
    // Alice posts from a bare connection of her member key, which takes no part in sealing.
    const config = JSON.parse(readFileSync(join(alice.configDir, "config.json"), "utf8")) as {
      meshes: Array<{ mesh_id: string; member_id: string; pubkey: string; secret_key: string }>;
    };
    const me = config.meshes[0]!;
    const keys = { memberId: me.member_id, pubkey: me.pubkey, secretKey: me.secret_key };
    const raw = await connectMember(nodes[0]!.url, me.mesh_id, keys, { capabilities: ["client_ack"] });
    try {
      const copy = await raw.request({ type: "topic_key_get", topic: "general" });
      const key = openTopicKey(copy.sealedKey as string, copy.keyId as string, me.pubkey, me.secret_key);
      expect(key).not.toBeNull();
      const ack = await raw.sendMessage({ targetSpec: "#general", ...encryptMulticast(EARLY, key!) });
      expect(ack).toMatchObject({ queued: true, recipientOnline: true });
      await waitUntil(
        async () => {
          const status = await raw.request({ type: "message_status", messageId: ack.messageId });
          return (status.recipients as Array<{ name: string; status: string }>).some(
            (r) => r.name === "dave" && r.status === "delivered",
          );
        },
        { timeoutMs: 20_000, message: "dave's daemon never took the post" },
      );
    } finally {
      raw.close();
    }
    // Taken and kept: neither shown nor shown as undecryptable.
    const before = (await dave.runJson<{ messages: InboxRow[] }>(["inbox"])).messages;
    expect(before.filter((m) => m.topic === "general")).toEqual([]);

    expect((await alice.run(["daemon", "up"])).code).toBe(0);
    await waitUntil(
      async () =>
        (await dave.runJson<{ messages: InboxRow[] }>(["inbox"])).messages.some((m) => m.body === EARLY),
      { timeoutMs: 30_000, message: "the kept post was never opened" },
    );
    const row = (await dave.runJson<{ messages: InboxRow[] }>(["inbox"])).messages.find(
      (m) => m.body === EARLY,
    );
    expect(row).toMatchObject({ from_name: "alice", topic: "general" });
  }, 120_000);

  it("the broker never stored a topic body in plaintext", async () => {
    const found: string[] = [];
    if (kind === "sqlite") {
      for (const file of filesUnder(nodes[0]!.dataDir)) {
        const bytes = readFileSync(file);
        for (const secret of SECRETS)
          if (bytes.includes(Buffer.from(secret))) found.push(`${file}: ${secret}`);
      }
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
      // The search looks where the posts are: the topic's history rows.
      expect(dump).toContain("topic_id");
      for (const secret of SECRETS) if (dump.includes(secret)) found.push(`postgres: ${secret}`);
    }
    expect(found).toEqual([]);
  });
}

describe("topics through the CLI on one SQLite broker", () => suite("sqlite"));
describe.skipIf(!postgresAvailable("cli topics on three nodes"))(
  "topics through the CLI on three PostgreSQL nodes",
  () => suite("postgres"),
);
