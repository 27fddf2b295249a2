/**
 * Status follows what the session does, through the hooks (relayed by the daemon with source `hook`):
 * while `working` (reported by `hook prompt`) a `next` message waits and a `now` message arrives; after
 * `hook idle` the held message arrives; a turn longer than 60 s does not flip the session to idle.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/broker.js";
import {
  LaunchedSession,
  daemonOf,
  promptInput,
  runHook,
  stopInput,
  twoUsers,
  sessionKeySeenBy,
  type PeerRow,
  type TwoUsers,
} from "../helpers/claude-code.js";

let mesh: TwoUsers;
let a: LaunchedSession;
let keyA = "";

async function statusOfA(): Promise<string | undefined> {
  return (await mesh.bob.runJson<{ peers: PeerRow[] }>(["peers"])).peers.find(
    (p) => p.session_pubkey === keyA,
  )?.status;
}

async function bodiesOfA(): Promise<string[]> {
  return (
    await daemonOf(mesh.alice, a.record().tokenFile ?? undefined).call("inbox", { limit: 500 })
  ).messages.map((m) => m.body);
}

beforeAll(async () => {
  mesh = await twoUsers("status");
  a = await LaunchedSession.start(mesh.alice, { args: ["--name", "status A"], tag: "a" });
  keyA = await sessionKeySeenBy(mesh.bob, "status A");
}, 120_000);

afterAll(async () => {
  a?.kill();
  await mesh?.dispose();
});

describe("status from hooks", () => {
  it("holds `next` while working, lets `now` through, and releases on `hook idle`", async () => {
    const prompt = await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "start"), a.sessionEnv());
    expect(prompt.code).toBe(0);
    await waitUntil(async () => (await statusOfA()) === "working", {
      timeoutMs: 10_000,
      message: "A never showed working",
    });

    const held = await mesh.bob.runJson<{ message_id: string }>([
      "send",
      keyA.slice(0, 12),
      "next: after your turn",
    ]);
    await mesh.bob.runJson(["send", keyA.slice(0, 12), "now: urgent", "--priority", "now"]);
    await waitUntil(async () => (await bodiesOfA()).includes("now: urgent"), {
      timeoutMs: 10_000,
      message: "`now` did not arrive",
    });
    expect(await bodiesOfA()).not.toContain("next: after your turn");
    const status = await mesh.bob.runJson<{ recipients: Array<{ state: string }> }>([
      "message",
      "status",
      held.message_id,
    ]);
    expect(status.recipients.map((r) => r.state)).toEqual(["held"]);

    const idle = await runHook(mesh.alice, "idle", stopInput(a.sessionId()), a.sessionEnv());
    expect(idle).toMatchObject({ code: 0, stdout: "", stderr: "" });
    await waitUntil(async () => (await bodiesOfA()).includes("next: after your turn"), {
      timeoutMs: 10_000,
      message: "the held message did not arrive after hook idle",
    });
    await waitUntil(async () => (await statusOfA()) === "idle", {
      timeoutMs: 10_000,
      message: "A never showed idle",
    });
  });

  it("a turn longer than 60 s stays working", async () => {
    const started = Date.now();
    await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "a long turn"), a.sessionEnv());
    await waitUntil(async () => (await statusOfA()) === "working", { timeoutMs: 10_000 });
    // The broker sweeps unrefreshed `working` to idle after 60 s (every 15 s); a hook's `working` is exempt.
    // Watch the status until well past that point: it must never be anything but `working`.
    const seen = new Set<string>();
    await waitUntil(
      async () => {
        seen.add(String(await statusOfA()));
        return Date.now() - started > 80_000;
      },
      { timeoutMs: 100_000, intervalMs: 5_000 },
    );
    expect([...seen]).toEqual(["working"]);
    const held = await mesh.bob.runJson<{ message_id: string }>([
      "send",
      keyA.slice(0, 12),
      "still held at 80 s",
    ]);
    const status = await mesh.bob.runJson<{ recipients: Array<{ state: string }> }>([
      "message",
      "status",
      held.message_id,
    ]);
    expect(status.recipients.map((r) => r.state)).toEqual(["held"]);
    await runHook(mesh.alice, "idle", stopInput(a.sessionId()), a.sessionEnv());
    await waitUntil(async () => (await bodiesOfA()).includes("still held at 80 s"), { timeoutMs: 10_000 });
  }, 150_000);
});
