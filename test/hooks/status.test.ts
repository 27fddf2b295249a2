/**
 * Status follows what the session does, through the hooks (relayed by the daemon with source `hook`):
 * while `working` (reported by `hook prompt`) a `next` message waits and a `now` message arrives; after
 * `hook idle` the held message arrives; a turn longer than the plain working timeout does not flip the
 * session to idle. The broker runs with the working timers scaled down (60 s → 2 s, sweep 15 s → 200 ms).
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

/** The plain (non-hook) working timeout of this test's broker. */
const WORKING_MS = 2_000;

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
  mesh = await twoUsers("status", { broker: { workingTimeoutMs: WORKING_MS, workingSweepMs: 200 } });
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

  it("a turn longer than the plain working timeout stays working", async () => {
    const started = Date.now();
    await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "a long turn"), a.sessionEnv());
    await waitUntil(async () => (await statusOfA()) === "working", { timeoutMs: 10_000 });
    // The broker sweeps unrefreshed `working` to idle after the working timeout; a hook's `working` is
    // exempt. Watch the status until well past that point: it must never be anything but `working`.
    const seen = new Set<string>();
    await waitUntil(
      async () => {
        seen.add(String(await statusOfA()));
        return Date.now() - started > WORKING_MS * 3;
      },
      { timeoutMs: WORKING_MS * 10, intervalMs: 250 },
    );
    expect([...seen]).toEqual(["working"]);
    const held = await mesh.bob.runJson<{ message_id: string }>([
      "send",
      keyA.slice(0, 12),
      "still held after the timeout",
    ]);
    const status = await mesh.bob.runJson<{ recipients: Array<{ state: string }> }>([
      "message",
      "status",
      held.message_id,
    ]);
    expect(status.recipients.map((r) => r.state)).toEqual(["held"]);
    await runHook(mesh.alice, "idle", stopInput(a.sessionId()), a.sessionEnv());
    await waitUntil(async () => (await bodiesOfA()).includes("still held after the timeout"), {
      timeoutMs: 10_000,
    });
  }, 60_000);
});
