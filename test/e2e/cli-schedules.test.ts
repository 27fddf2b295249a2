/**
 * Scheduled messages through the real CLI, real daemons and a real broker: `schedule` by name with
 * `--in`, `--at` and `--cron`, through the daemon and with `--no-daemon`; the message reaches the
 * recipient's inbox decrypted while its creator's daemon is stopped; `schedule list` and `cancel`;
 * coded errors for a bad cron (`invalid_cron`), a missing or doubled time and a past time; and no
 * scheduled text found in the broker's files.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, waitUntil, type BrokerProcess, filesUnder } from "../helpers/broker.js";
import { CliUser, type CliResult } from "../helpers/cli.js";

interface Scheduled {
  id: string;
  to: string;
  to_name: string;
  deliver_at: string;
  cron: string | null;
  fired_count: number;
  created_at: string;
}

const SECRET = "plaintext-schedule-5e81c2 the release train leaves";

let broker: BrokerProcess;
let alice: CliUser;
let bob: CliUser;
let bobPubkey = "";

function errorOf(result: CliResult): { code: string; message: string; hint?: string } {
  return (JSON.parse(result.stderr) as { error: { code: string; message: string } }).error;
}

async function inboxBodies(user: CliUser): Promise<Array<{ body: string; from_name: string }>> {
  return (await user.runJson<{ messages: Array<{ body: string; from_name: string }> }>(["inbox"])).messages;
}

function received(user: CliUser, body: string) {
  return waitUntil(async () => (await inboxBodies(user)).find((m) => m.body === body), {
    timeoutMs: 20_000,
    message: `"${body}" did not reach ${user.name}`,
  });
}

beforeAll(async () => {
  broker = await startBroker({ schedulePollMs: 200 });
  alice = new CliUser("alice");
  bob = new CliUser("bob");
  await alice.createMesh(broker, "team", "alice");
  const { link } = await alice.runJson<{ link: string }>(["invite"]);
  bobPubkey = String((await bob.runJson(["join", link, "--name", "bob"])).pubkey);
  for (const user of [alice, bob]) expect((await user.run(["daemon", "up"])).code).toBe(0);
  await waitUntil(
    async () =>
      (await alice.runJson<{ peers: Array<{ display_name: string }> }>(["peers", "--all"])).peers.some(
        (p) => p.display_name === "bob",
      ),
    { timeoutMs: 20_000, message: "alice never saw bob's daemon" },
  );
}, 90_000);

afterAll(async () => {
  await Promise.all([alice, bob].map((u) => u?.dispose()));
  await broker?.dispose();
});

describe("claudemesh schedule", () => {
  it("fires by name while its creator's daemon is stopped; the recipient reads it decrypted", async () => {
    const created = await alice.runJson<{ id: string; deliver_at: string; cron: string | null }>([
      "schedule",
      "bob",
      SECRET,
      "--in",
      "3s",
    ]);
    expect(created).toEqual({
      schema_version: "1",
      id: expect.any(String),
      deliver_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      cron: null,
    });
    const { scheduled } = await alice.runJson<{ scheduled: Scheduled[] }>(["schedule", "list"]);
    expect(scheduled).toEqual([
      {
        id: created.id,
        to: bobPubkey,
        to_name: "bob",
        deliver_at: created.deliver_at,
        cron: null,
        fired_count: 0,
        created_at: expect.any(String),
      },
    ]);
    expect((await alice.run(["daemon", "down"])).code).toBe(0);

    expect(await received(bob, SECRET)).toMatchObject({ from_name: "alice" });
    const after = await alice.runJson<{ scheduled: Scheduled[] }>(["schedule", "list", "--no-daemon"]);
    expect(after.scheduled).toEqual([]);
    for (const file of filesUnder(broker.dataDir)) {
      expect(readFileSync(file).includes(SECRET), file).toBe(false);
    }
  });

  it("with --no-daemon, to everyone, at a time given as ISO 8601", async () => {
    const at = new Date(Date.now() + 3_000).toISOString();
    const created = await alice.runJson<{ deliver_at: string }>([
      "schedule",
      "*",
      "broadcast from the schedule",
      "--at",
      at,
      "--no-daemon",
    ]);
    expect(created.deliver_at).toBe(at);
    expect(await received(bob, "broadcast from the schedule")).toMatchObject({ from_name: "alice" });
  });

  it("a cron entry is listed with its next time; cancel removes it, a second cancel exits 1", async () => {
    const created = await alice.runJson<{ id: string; deliver_at: string; cron: string }>([
      "schedule",
      "bob",
      "weekly sync",
      "--cron",
      "0 9 * * 1",
      "--priority",
      "next",
      "--no-daemon",
    ]);
    expect(created.cron).toBe("0 9 * * 1");
    const next = new Date(created.deliver_at);
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 9, 0]);
    const human = await alice.run(["schedule", "list", "--no-daemon"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(created.id);
    expect(human.stdout).toContain("0 9 * * 1");

    expect(await alice.runJson(["schedule", "cancel", created.id, "--no-daemon"])).toEqual({
      schema_version: "1",
      id: created.id,
      cancelled: true,
    });
    const again = await alice.run(["schedule", "cancel", created.id, "--no-daemon", "--json"]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: created.id, cancelled: false });
    const { scheduled } = await alice.runJson<{ scheduled: Scheduled[] }>([
      "schedule",
      "list",
      "--no-daemon",
    ]);
    expect(scheduled.map((s) => s.id)).not.toContain(created.id);
  });

  it("a bad cron is refused with invalid_cron, through the daemon and without it", async () => {
    expect((await bob.run(["daemon", "status"])).code).toBe(0);
    for (const extra of [[], ["--no-daemon"]]) {
      const result = await bob.run(["schedule", "alice", "x", "--cron", "61 * * * *", "--json", ...extra]);
      expect(result.code).toBe(2);
      expect(errorOf(result)).toMatchObject({ code: "invalid_cron", message: expect.stringContaining("61") });
    }
  });

  it("refuses a missing, doubled or past time with a clear message (exit 2)", async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /give one of --in, --at and --cron/],
      [["--in", "10m", "--cron", "* * * * *"], /only one of --in, --at and --cron/],
      [["--in", "ten minutes"], /not a duration/],
      [["--at", "2001-01-01T00:00:00Z"], /in the past/],
      [["--at", "25:00"], /not a time of day/],
    ];
    for (const [flags, message] of cases) {
      const result = await bob.run(["schedule", "alice", "x", "--json", "--no-daemon", ...flags]);
      expect(result.code, flags.join(" ")).toBe(2);
      expect(errorOf(result).message).toMatch(message);
    }
  });

  it("a reminder to oneself by name reaches one's own inbox", async () => {
    expect((await alice.run(["daemon", "up"])).code).toBe(0);
    await alice.runJson(["schedule", "alice", "note to self: rotate the keys", "--in", "2s"]);
    expect(await received(alice, "note to self: rotate the keys")).toMatchObject({ from_name: "alice" });
  });

  it("--help explains the three ways to say when and names list and cancel", async () => {
    const help = await bob.run(["schedule", "--help"]);
    expect(help.code).toBe(0);
    for (const text of ["--in", "--at", "--cron", "schedule list", "schedule cancel"]) {
      expect(help.stdout).toContain(text);
    }
  });
});
