/**
 * Talking between two users through the real CLI, their real daemons and a real broker: peers, send
 * (by name, key prefix, `*`, `@group`, stdin, `--no-daemon`), inbox, message status, moderation.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, waitUntil, type BrokerProcess } from "../helpers/broker.js";
import { CLI_BIN, CliUser, ROOT, json } from "../helpers/cli.js";
import { MAX_MESSAGE_TEXT_BYTES } from "../../src/protocol/constants.js";

interface Peer {
  mesh: string;
  display_name: string;
  pubkey: string;
  session_pubkey: string | null;
  peer_role: string;
  status: string;
  summary: string | null;
  groups: string[];
  cwd: string;
  this_session: boolean;
}
interface InboxMessage {
  id: string;
  mesh: string;
  from_name: string;
  from_pubkey: string;
  to: string;
  body: string;
  priority: string;
  topic: string | null;
  reply_to: string | null;
  sent_at: string;
  received_at: string;
  surfaced: boolean;
}
interface SendResult {
  schema_version: string;
  message_id: string;
  broker_message_id: string | null;
  status: "sent" | "queued";
  recipient_online: boolean;
}

let broker: BrokerProcess;
let alice: CliUser;
let bob: CliUser;
let dave: CliUser;
let alicePubkey = "";
let bobPubkey = "";

async function inboxOf(user: CliUser, extra: string[] = []): Promise<InboxMessage[]> {
  return (await user.runJson<{ messages: InboxMessage[] }>(["inbox", ...extra])).messages;
}

/** Waits until `user`'s inbox holds a message with `body`, and returns it. */
function received(user: CliUser, body: string): Promise<InboxMessage> {
  return waitUntil(async () => (await inboxOf(user)).find((m) => m.body === body), {
    timeoutMs: 15_000,
    message: `"${body}" did not reach ${user.name}`,
  });
}

async function invite(uses = 1): Promise<string> {
  return (await alice.runJson<{ link: string }>(["invite", "--uses", String(uses)])).link;
}

beforeAll(async () => {
  broker = await startBroker();
  alice = new CliUser("alice");
  bob = new CliUser("bob");
  dave = new CliUser("dave");
  const created = await alice.createMesh(broker, "team", "alice");
  alicePubkey = String(created.owner_pubkey);
  bobPubkey = String((await bob.runJson(["join", await invite(), "--name", "bob"])).pubkey);
  await dave.runJson(["join", await invite(), "--name", "dave"]);
  // Both daemons up and connected: each sees the other's member connection.
  for (const user of [alice, bob]) expect((await user.run(["daemon", "up"])).code).toBe(0);
  for (const [user, other] of [
    [alice, "bob"],
    [bob, "alice"],
  ] as const) {
    await waitUntil(
      async () =>
        (await user.runJson<{ peers: Peer[] }>(["peers", "--all"])).peers.some(
          (p) => p.display_name === other,
        ),
      { timeoutMs: 20_000, message: `${user.name} never saw ${other}` },
    );
  }
}, 90_000);

afterAll(async () => {
  await Promise.all([alice, bob, dave].map((u) => u?.dispose()));
  await broker?.dispose();
});

describe("peers and members", () => {
  it("lists peers with the documented --json fields; control-plane rows only with --all", async () => {
    const all = await alice.runJson<{ schema_version: string; peers: Peer[] }>(["peers", "--all"]);
    expect(all.schema_version).toBe("1");
    const bobRow = all.peers.find((p) => p.display_name === "bob");
    expect(bobRow).toEqual({
      mesh: "team",
      display_name: "bob",
      pubkey: bobPubkey,
      session_pubkey: null,
      peer_role: "control-plane",
      peer_type: expect.any(String),
      channel: expect.any(String),
      status: expect.any(String),
      summary: null,
      groups: expect.any(Array),
      cwd: expect.any(String),
      this_session: false,
    });
    const sessionsOnly = await alice.runJson<{ peers: Peer[] }>(["peers"]);
    expect(sessionsOnly.peers.filter((p) => p.peer_role === "control-plane")).toEqual([]);
  });

  it("lists the roster with roles", async () => {
    const { members } = await bob.runJson<{ members: Array<Record<string, unknown>> }>(["members"]);
    expect(members).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ display_name: "alice", role: "owner", pubkey: alicePubkey }),
        expect.objectContaining({ display_name: "bob", role: "member", pubkey: bobPubkey, online: true }),
      ]),
    );
  });
});

describe("send, inbox, message status", () => {
  it("sends alice → bob by name, and bob reads it in his inbox", async () => {
    const sent = await alice.runJson<SendResult>(["send", "bob", "hello bob"]);
    expect(sent).toMatchObject({ schema_version: "1", status: "sent", recipient_online: true });
    expect(sent.message_id).toEqual(expect.any(String));
    expect(sent.broker_message_id).toMatch(/^[A-Za-z0-9]{32}$/);

    const message = await received(bob, "hello bob");
    expect(message).toMatchObject({
      mesh: "team",
      from_name: "alice",
      from_pubkey: alicePubkey,
      priority: "next",
    });
    expect(message.id).toEqual(expect.any(String));
    expect(Date.parse(message.sent_at)).not.toBeNaN();
    expect(Date.parse(message.received_at)).not.toBeNaN();

    // Shown once by `inbox`, so it is no longer unread.
    await waitUntil(async () => !(await inboxOf(bob, ["--unread"])).some((m) => m.body === "hello bob"), {
      message: "inbox did not mark the message surfaced",
    });

    const status = await waitUntil(
      async () => {
        const s = await alice.runJson<{
          message_id: string;
          broker_message_id: string;
          recipients: Array<{ pubkey: string; display_name: string; state: string }>;
        }>(["message", "status", sent.message_id]);
        return s.recipients[0]?.state === "delivered" ? s : undefined;
      },
      { timeoutMs: 10_000, message: "the DM never showed as delivered" },
    );
    expect(status).toMatchObject({ message_id: sent.message_id, broker_message_id: sent.broker_message_id });
    expect(status.recipients).toEqual([{ pubkey: bobPubkey, display_name: "bob", state: "delivered" }]);
  });

  it("sends bob → alice by key prefix, with the text from stdin", async () => {
    const result = await bob.run(["send", alicePubkey.slice(0, 6), "-"], {
      stdin: "from stdin\nsecond line",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/sent; the recipient is online|sent; the recipient is offline/);
    const message = await received(alice, "from stdin\nsecond line");
    expect(message.from_name).toBe("bob");
  });

  it("drops exactly one trailing newline from stdin, so `echo … |` sends one line", async () => {
    const piped = ["echoed line\n", "windows line\r\n", "blank line kept\n\n", "  spaces kept  \n"];
    for (const stdin of piped) {
      const result = await bob.run(["send", "alice", "-"], { stdin });
      expect(result.code, result.stderr).toBe(0);
    }
    const echoed = await received(alice, "echoed line");
    await Promise.all(
      ["windows line", "blank line kept\n", "  spaces kept  "].map((b) => received(alice, b)),
    );
    // One message, one line of `inbox`: the id follows the text on the same line.
    expect((await alice.run(["inbox"])).stdout).toContain(`echoed line  ${echoed.id}\n`);
  });

  it("refuses stdin that is not UTF-8 text instead of mangling it (exit 2), and sends nothing", async () => {
    const before = (await inboxOf(alice)).length;
    // 0xff and 0xfe never occur in UTF-8; the rest is random bytes.
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), randomBytes(298)]);
    const result = await bob.run(["send", "alice", "-"], { stdin: bytes });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: messages are text \(UTF-8\); .* — /);
    const asJson = await bob.run(["send", "alice", "-", "--json"], { stdin: bytes });
    expect((JSON.parse(asJson.stderr) as { error: { code: string } }).error.code).toBe("invalid_encoding");
    // Valid multi-byte text still goes through untouched.
    expect((await bob.run(["send", "alice", "-"], { stdin: "naïve — ✓ 日本" })).code).toBe(0);
    await received(alice, "naïve — ✓ 日本");
    expect((await inboxOf(alice)).length).toBe(before + 1);
  });

  it("refuses a message over the size limit stating the limit in KB of text (exit 2)", async () => {
    const limitKb = Math.floor(MAX_MESSAGE_TEXT_BYTES / 1024);
    const result = await bob.run(["send", "alice", "-"], { stdin: "x".repeat(MAX_MESSAGE_TEXT_BYTES + 1) });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(`the limit is about ${limitKb} KB of text`);
    expect(result.stderr).not.toMatch(/file share/);
    // Exactly at the limit it goes through.
    const atLimit = await bob.run(["send", "*", "-"], { stdin: "y".repeat(MAX_MESSAGE_TEXT_BYTES) });
    expect(atLimit.code, atLimit.stderr).toBe(0);
  });

  it("broadcasts with * and reaches a group with @group", async () => {
    const everyone = await alice.runJson<SendResult>(["send", "*", "to everyone", "--priority", "now"]);
    expect(everyone.status).toBe("sent");
    expect((await received(bob, "to everyone")).to).toBe("*");
    // A broadcast says who it reached, never that "the recipient" is online.
    const human = await alice.run(["send", "*", "to everyone again"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/ → everyone: sent to everyone; those online get it now\n$/);
    expect(human.stdout).not.toMatch(/recipient/);

    const joined = await bob.run(["group", "join", "devs"]);
    expect(joined.code).toBe(0);
    await waitUntil(
      async () =>
        (await alice.runJson<{ peers: Peer[] }>(["peers", "--all"])).peers.some(
          (p) => p.display_name === "bob" && p.groups.includes("devs"),
        ),
      { message: "bob's group never showed" },
    );
    await alice.runJson<SendResult>(["send", "@devs", "to the devs"]);
    expect((await received(bob, "to the devs")).to).toBe("@devs");
    const groups = await bob.runJson<{ groups: Array<{ name: string; mine: boolean }> }>(["group", "list"]);
    expect(groups.groups).toContainEqual(expect.objectContaining({ name: "devs", mine: true }));
  });

  it("sends without the daemon (--no-daemon) and the recipient's daemon stores it", async () => {
    const sent = await alice.runJson<SendResult>(["send", "bob", "cold path", "--no-daemon"]);
    expect(sent).toMatchObject({ status: "sent", recipient_online: true });
    expect(sent.broker_message_id).toMatch(/^[A-Za-z0-9]{32}$/);
    await received(bob, "cold path");
    const status = await alice.runJson<{ recipients: Array<{ state: string }> }>([
      "message",
      "status",
      sent.broker_message_id ?? "",
      "--no-daemon",
    ]);
    expect(status.recipients).toHaveLength(1);
    // The client id dies with the command: asking by it says so and names the id that works.
    const byClientId = await alice.run(["message", "status", sent.message_id, "--no-daemon"]);
    expect(byClientId.code).not.toBe(0);
    expect(byClientId.stderr.trim().split("\n")).toHaveLength(1);
    expect(byClientId.stderr).toMatch(
      /known only to the daemon that sent the message.* — .*broker message id/,
    );
    // So a send without the daemon prints the broker's id, and that one answers.
    const human = await alice.run(["send", "bob", "cold path, by hand", "--no-daemon"]);
    expect(human.code, human.stderr).toBe(0);
    const shown = /^(\S+) → bob: sent/.exec(human.stdout)?.[1] ?? "";
    expect(shown).toMatch(/^[A-Za-z0-9]{32}$/);
    const byShown = await alice.runJson<{ broker_message_id: string }>([
      "message",
      "status",
      shown,
      "--no-daemon",
    ]);
    expect(byShown.broker_message_id).toBe(shown);
  });

  it("refuses an unknown target with the candidates (exit 2, one line)", async () => {
    const result = await alice.run(["send", "bobb", "hi"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bob/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("sends by name to a member who joined a moment ago", async () => {
    const u3 = new CliUser("u3");
    try {
      // Alice's daemon has the roster in hand from a send by name.
      expect((await alice.run(["send", "bob", "roster warm-up"])).code).toBe(0);
      const joined = await u3.runJson<{ pubkey: string }>(["join", await invite(), "--name", "u3"]);
      const sent = await alice.run(["send", "u3", "hi", "--json"]);
      expect(sent.code, sent.stderr).toBe(0);
      expect(JSON.parse(sent.stdout)).toMatchObject({ schema_version: "1", status: "sent" });
      const status = await alice.runJson<{ recipients: Array<{ pubkey: string }> }>([
        "message",
        "status",
        (JSON.parse(sent.stdout) as SendResult).message_id,
      ]);
      expect(status.recipients.map((r) => r.pubkey)).toEqual([joined.pubkey]);
    } finally {
      await u3.dispose();
    }
  });

  it("refuses a name that is also another member's key prefix instead of sending to its holder (exit 2)", async () => {
    const mallory = new CliUser("mallory");
    try {
      const prefix = bobPubkey.slice(0, 8);
      await mallory.runJson(["join", await invite(), "--name", prefix]);
      await waitUntil(
        async () =>
          (await alice.runJson<{ members: Array<{ display_name: string }> }>(["members"])).members.some(
            (m) => m.display_name === prefix,
          ),
        { timeoutMs: 20_000, message: "alice's daemon never listed the new member" },
      );
      const result = await alice.run(["send", prefix, "for bob only", "--json"]);
      expect(result.code, result.stderr).toBe(2);
      expect((JSON.parse(result.stderr) as { error: { code: string } }).error.code).toBe("ambiguous_target");
      const human = await alice.run(["send", prefix, "for bob only"]);
      expect(human.stderr).toMatch(
        new RegExp(`is both the display name of ${prefix} and a key prefix of bob`),
      );
      expect(human.stderr).toContain(`bob (${prefix}`);
      // The full key still reaches bob.
      const sent = await alice.runJson<SendResult>(["send", bobPubkey, "for bob only"]);
      expect(sent.status).toBe("sent");
      await received(bob, "for bob only");
    } finally {
      await mallory.dispose();
    }
  });

  it("sets status and summary that peers see", async () => {
    expect((await bob.run(["summary", "reviewing", "PRs"])).code).toBe(0);
    expect((await bob.run(["status", "dnd"])).code).toBe(0);
    const row = await waitUntil(async () => {
      const peers = (await alice.runJson<{ peers: Peer[] }>(["peers", "--all"])).peers;
      return peers.find(
        (p) => p.display_name === "bob" && p.summary === "reviewing PRs" && p.status === "dnd",
      );
    });
    expect(row.pubkey).toBe(bobPubkey);
    expect((await bob.run(["status", "sleepy"])).code).toBe(2);
    // dnd holds `next` messages; later tests expect bob reachable.
    expect((await bob.run(["status", "idle"])).code).toBe(0);
  });
});

describe("info", () => {
  it("shows the mesh at a glance through the daemon and with --no-daemon, the same fields", async () => {
    expect((await bob.run(["group", "join", "reviewers", "--role", "lead"])).code).toBe(0);
    const fields = [
      "schema_version",
      "mesh",
      "peers",
      "groups",
      "state_keys",
      "memory_count",
      "file_count",
      "tasks",
      "your_name",
      "your_groups",
    ];
    const warm = await bob.runJson<Record<string, unknown>>(["info"]);
    expect(Object.keys(warm).sort()).toEqual([...fields].sort());
    expect(warm).toMatchObject({
      schema_version: "1",
      mesh: "team",
      your_name: "bob",
      your_groups: expect.arrayContaining([{ name: "reviewers", role: "lead" }]),
      tasks: { open: 0, claimed: 0, done: 0 },
      memory_count: 0,
      file_count: 0,
      state_keys: [],
    });
    expect(warm.peers).toBeGreaterThanOrEqual(2);
    expect(warm.groups).toContain("@reviewers");

    const cold = await bob.runJson<Record<string, unknown>>(["info", "--no-daemon"]);
    expect(Object.keys(cold).sort()).toEqual([...fields].sort());
    expect(cold).toMatchObject({ mesh: "team", your_name: "bob", tasks: { open: 0, claimed: 0, done: 0 } });
    // The one-shot connection counts itself, the daemons' connections are there too.
    expect(cold.peers).toBeGreaterThanOrEqual(2);

    const human = await bob.run(["info"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/tasks\s+0 open, 0 claimed, 0 done/);
  });
});

describe("follow and outbox", () => {
  it("inbox --follow --json streams a new message as one JSON line", async () => {
    const follower = spawn(process.execPath, [CLI_BIN, "inbox", "--follow", "--unread", "--json"], {
      cwd: ROOT,
      env: bob.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    follower.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => follower.once("exit", (code) => resolve(code)));
    try {
      await waitUntil(() => output.includes('"messages"'), {
        timeoutMs: 15_000,
        message: "no first document",
      });
      await alice.runJson<SendResult>(["send", "bob", "while following"]);
      const line = await waitUntil(() => output.split("\n").find((l) => l.includes("while following")), {
        timeoutMs: 15_000,
        message: output,
      });
      expect(JSON.parse(line)).toMatchObject({
        schema_version: "1",
        message: { body: "while following", from_name: "alice" },
      });
      follower.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      follower.kill("SIGKILL");
    }
  });

  it("lists acknowledged sends in the daemon outbox", async () => {
    const sent = await alice.runJson<SendResult>(["send", "bob", "for the outbox"]);
    const { items } = await alice.runJson<{
      items: Array<{ id: string; status: string; broker_message_id: string }>;
    }>(["daemon", "outbox", "--done"]);
    expect(items).toContainEqual(
      expect.objectContaining({
        id: sent.message_id,
        status: "done",
        broker_message_id: sent.broker_message_id,
      }),
    );
  });
});

describe("peer text on a terminal", () => {
  // Escape sequences a hostile peer might send: set the window title, clear the screen, write the
  // clipboard (OSC 52), hide text, and overwrite the line with a carriage return.
  const ATTACK =
    "\u001b]0;owned\u0007\u001b[2J\u001b]52;c;ZWNobyBoaQ==\u0007\u001b[8mhidden\u001b[0m\rfake\u202eevil";
  // What a terminal would act on instead of showing (tab and newline aside).
  // eslint-disable-next-line no-control-regex
  const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

  it("inbox and peers never write a peer's control characters to the terminal; --json keeps them", async () => {
    const body = `bells ${randomBytes(4).toString("hex")} ${ATTACK}`;
    expect((await bob.run(["send", "alice", body])).code).toBe(0);
    expect((await received(alice, body)).body).toBe(body);
    const inbox = await alice.run(["inbox"]);
    expect(inbox.code).toBe(0);
    const line = inbox.stdout.split("\n").find((l) => l.includes("bells"));
    expect(line).toContain("hidden");
    expect(line).toContain("fake");
    expect(line).not.toMatch(ACTIVE);

    expect((await bob.run(["summary", `busy ${ATTACK}`])).code).toBe(0);
    await waitUntil(async () =>
      (await alice.runJson<{ peers: Peer[] }>(["peers", "--all"])).peers.some(
        (p) => p.display_name === "bob" && p.summary === `busy ${ATTACK}`,
      ),
    );
    const peers = await alice.run(["peers", "--all"]);
    expect(peers.code).toBe(0);
    expect(peers.stdout).toContain("busy");
    expect(peers.stdout).not.toMatch(ACTIVE);
  });
});

describe("moderation", () => {
  it("lets only the owner ban, and a banned member is refused (exit 3)", async () => {
    const notAllowed = await bob.run(["ban", "dave"]);
    expect(notAllowed.code).toBe(3);
    const banned = await alice.runJson<{ banned: string }>(["ban", "dave"]);
    expect(banned.banned).toBe("dave");
    const refused = await dave.run(["send", "alice", "still here?", "--no-daemon"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(json(await alice.run(["members", "--json"]))).not.toMatchObject({
      members: expect.arrayContaining([expect.objectContaining({ display_name: "dave" })]),
    });
  });
});
