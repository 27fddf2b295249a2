/**
 * Messages that waited at the broker while a member was offline are in the member's very first `inbox`
 * once its daemon starts (or reconnects): the daemon answers once its connection has stored what the
 * broker held (`backlog_sent`, protocol.md §4.6), shows each message once, and when the broker cannot be
 * reached it says so instead of "no messages" (the CLI and the read_inbox tool). Real broker, real
 * daemons, the CLI binary, `claudemesh mcp`; bob reaches the broker through a proxy that delivers
 * everything after the `hello_ack` late, so his connection is up well before the pushes of what waited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type BrokerProcess } from "../helpers/broker.js";
import { McpUnderTest } from "../helpers/claude-code.js";
import { CliUser } from "../helpers/cli.js";
import { SlowProxy } from "../helpers/slow-proxy.js";

/** How late the proxy delivers what the broker sends bob after answering his hello. */
const BROKER_DELAY_MS = 2_000;

interface InboxMessage {
  id: string;
  body: string;
  from_name: string;
  surfaced: boolean;
}
interface InboxResult {
  messages: InboxMessage[];
  unsynced?: Array<{ mesh: string; state: string; last_error: string | null }>;
}

let broker: BrokerProcess;
let proxy: SlowProxy;
let alice: CliUser;
let bob: CliUser;
let bobPubkey = "";

/** Alice sends bob each body; each is accepted by the broker while bob has no connection. */
async function sendWhileOffline(bodies: readonly string[]): Promise<void> {
  for (const body of bodies) {
    const sent = await alice.runJson<{ status: string; recipient_online: boolean }>([
      "send",
      bobPubkey,
      body,
    ]);
    expect(sent).toMatchObject({ status: "sent", recipient_online: false });
  }
}

beforeAll(async () => {
  broker = await startBroker();
  alice = new CliUser("alice");
  // Room for a loaded machine: the read waits for the delayed pushes, well within the CLI's 10 s.
  bob = new CliUser("bob", { CLAUDEMESH_INBOX_SYNC_WAIT_MS: "8000" });
  await alice.createMesh(broker, "team", "alice");
  const invite = (await alice.runJson<{ link: string }>(["invite"])).link;
  // Joining does not start bob's daemon: bob has no connection until his first command needs one.
  bobPubkey = String((await bob.runJson(["join", invite, "--name", "bob"])).pubkey);
  expect(bob.daemonPid()).toBeNull();
  proxy = await SlowProxy.start(broker.port, BROKER_DELAY_MS);
  await bob.runJson(["mesh", "brokers", proxy.urlFor(broker.url)]);
  expect((await alice.run(["daemon", "up"])).code).toBe(0);
}, 90_000);

afterAll(async () => {
  await Promise.all([alice, bob].map((u) => u?.dispose()));
  await proxy?.close();
  await broker?.dispose();
});

describe("the first inbox after the daemon connects", () => {
  const first = ["waiting 1", "waiting 2", "waiting 3", "waiting 4", "waiting 5"];

  it("lists every message that waited at the broker, once each, in order", async () => {
    await sendWhileOffline(first);
    // This command starts bob's daemon, whose connection comes up with the five messages pending.
    const inbox = await bob.runJson<InboxResult>(["inbox"]);
    expect(inbox.messages.map((m) => m.body)).toEqual(first);
    expect(inbox.messages.every((m) => m.from_name === "alice" && !m.surfaced)).toBe(true);
    expect(inbox.unsynced).toBeUndefined();
  });

  it("marks them surfaced: the next unread inbox is empty, the full one shows them once", async () => {
    expect((await bob.runJson<InboxResult>(["inbox", "--unread"])).messages).toEqual([]);
    const again = await bob.runJson<InboxResult>(["inbox"]);
    expect(again.messages.map((m) => m.body)).toEqual(first);
    expect(again.messages.every((m) => m.surfaced)).toBe(true);
  });

  it("after a daemon restart, the first unread inbox lists what arrived while it was down", async () => {
    expect((await bob.run(["daemon", "down"])).code).toBe(0);
    const more = ["while down 1", "while down 2", "while down 3"];
    await sendWhileOffline(more);
    expect((await bob.run(["daemon", "up"])).code).toBe(0);
    const unread = await bob.runJson<InboxResult>(["inbox", "--unread"]);
    expect(unread.messages.map((m) => m.body)).toEqual(more);
    const all = await bob.runJson<InboxResult>(["inbox"]);
    expect(all.messages.map((m) => m.body)).toEqual([...first, ...more]);
  });

  it("says the broker is unreachable rather than that there are no messages", async () => {
    expect((await bob.run(["daemon", "down"])).code).toBe(0);
    await broker.stop();
    const inbox = await bob.runJson<InboxResult>(["inbox", "--unread"]);
    expect(inbox.messages).toEqual([]);
    expect(inbox.unsynced).toEqual([{ mesh: "team", state: "disconnected", last_error: expect.any(String) }]);
    const text = await bob.run(["inbox", "--unread"]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toContain("no messages");
    expect(`${text.stdout}${text.stderr}`).toMatch(/team.*broker.*unreachable|unreachable.*team/i);
    // The read_inbox tool says the same to a model.
    const mcp = await McpUnderTest.start(bob.env, ["--message-mode", "off"]);
    try {
      const result = await mcp.client.callTool({ name: "read_inbox", arguments: {} });
      const said = JSON.stringify(result.content);
      expect(said).toMatch(/mesh team: the broker is unreachable/);
      expect(said).not.toMatch(/No new messages/);
    } finally {
      await mcp.close();
    }
  });
});
