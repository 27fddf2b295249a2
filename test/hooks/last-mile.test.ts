/**
 * The last mile on a slow machine, made deterministic (a hook budget spent at once, a daemon that answers
 * late): a prompt hook out of time prints nothing and marks nothing, so the next lane shows the message,
 * once; a status always lands (a hook's budget never cuts it; a live waiter means idle); a DM to a session
 * that ended stays with that session — never in another session's or an ambient hook or channel — and
 * reaches it when it resumes; a waiter started with the session wakes it for a message sent before the
 * first prompt; a mid-turn arrival says so; `status dnd` inside a launched session applies to it.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/broker.js";
import {
  LaunchedSession,
  McpUnderTest,
  startWait as startWaitOf,
  type RunningWait,
  daemonOf,
  promptInput,
  runHook,
  sessionKeySeenBy,
  stopInput,
  twoUsers,
  type CliUser,
  type PeerRow,
  type TwoUsers,
} from "../helpers/claude-code.js";

const children: ChildProcess[] = [];

function startWait(user: CliUser, input: unknown, env: Record<string, string>): RunningWait {
  return startWaitOf(user, input, env, children);
}

async function statusOf(observer: CliUser, sessionKey: string): Promise<string | undefined> {
  return (await observer.runJson<{ peers: PeerRow[] }>(["peers"])).peers.find(
    (p) => p.session_pubkey === sessionKey,
  )?.status;
}

/** Bodies in a session's (or the member's) inbox, read without marking anything. */
async function bodies(user: CliUser, session?: LaunchedSession): Promise<string[]> {
  const tokenFile = session?.record().tokenFile ?? undefined;
  return (await daemonOf(user, tokenFile).call("inbox", { limit: 500 })).messages.map((m) => m.body);
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

describe("a slow daemon and a spent budget", () => {
  let mesh: TwoUsers;
  let a: LaunchedSession;
  let keyA = "";

  beforeAll(async () => {
    // Every reservation is answered late, as on a loaded machine.
    mesh = await twoUsers("slow", { aliceEnv: { CLAUDEMESH_TEST_IPC_DELAY: "/v1/inbox/reserve=1500" } });
    a = await LaunchedSession.start(mesh.alice, { args: ["--name", "slow A"], tag: "a" });
    keyA = await sessionKeySeenBy(mesh.bob, "slow A");
  }, 120_000);

  afterAll(async () => {
    a?.kill();
    await mesh?.dispose();
  });

  it("a prompt hook out of time prints nothing and marks nothing; the next lane shows the message once", async () => {
    await mesh.bob.runJson(["send", keyA.slice(0, 12), "do not lose me", "--priority", "now"]);
    await waitUntil(async () => (await bodies(mesh.alice, a)).includes("do not lose me"), {
      timeoutMs: 10_000,
    });
    const late = await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "go"), {
      ...a.sessionEnv(),
      CLAUDEMESH_HOOK_BUDGET_MS: "300",
    });
    expect(late).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const unread = await daemonOf(mesh.alice, a.record().tokenFile ?? undefined).call("inbox", {
      unread: true,
    });
    expect(unread.messages.map((m) => m.body)).toContain("do not lose me");

    // The next prompt (with time to spare) shows it — once, however many prompts follow.
    const shown: string[] = [];
    await waitUntil(
      async () => {
        const next = await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "again"), a.sessionEnv());
        expect(next.code).toBe(0);
        if (next.stdout !== "") shown.push(next.stdout);
        return shown.length > 0;
      },
      { timeoutMs: 20_000, intervalMs: 200, message: "no later prompt showed the message" },
    );
    const after = await runHook(
      mesh.alice,
      "prompt",
      promptInput(a.sessionId(), "and again"),
      a.sessionEnv(),
    );
    expect(after.stdout).toBe("");
    expect(shown).toHaveLength(1);
    expect(shown[0]).toContain("do not lose me");
    // The model-facing text carries the message id, so a repeat would be recognisable.
    expect(shown[0]).toMatch(/<peer_message id="[A-Za-z0-9]+">/);

    const runs = readFileSync(join(mesh.alice.daemonDir, "hook-runs.jsonl"), "utf8");
    expect(runs).toMatch(/"hook":"prompt".*"outcome":"out_of_time"/);
  });

  it("an idle hook whose budget is already spent still lands idle, and releases what was held", async () => {
    await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "work"), a.sessionEnv());
    await waitUntil(async () => (await statusOf(mesh.bob, keyA)) === "working", { timeoutMs: 10_000 });
    await mesh.bob.runJson(["send", keyA.slice(0, 12), "held until idle"]);
    const idle = await runHook(mesh.alice, "idle", stopInput(a.sessionId()), {
      ...a.sessionEnv(),
      CLAUDEMESH_HOOK_BUDGET_MS: "1",
    });
    expect(idle).toMatchObject({ code: 0, stdout: "", stderr: "" });
    await waitUntil(async () => (await statusOf(mesh.bob, keyA)) === "idle", {
      timeoutMs: 10_000,
      message: "idle never landed",
    });
    await waitUntil(async () => (await bodies(mesh.alice, a)).includes("held until idle"), {
      timeoutMs: 10_000,
      message: "the held message was not released",
    });
  });
});

describe("sessions, waiters and where messages go", () => {
  let mesh: TwoUsers;

  beforeAll(async () => {
    mesh = await twoUsers("lastmile");
  }, 120_000);

  afterAll(async () => {
    await mesh?.dispose();
  });

  it("a waiter that starts is idle by definition: it lands idle without the Stop hook and delivers", async () => {
    const a = await LaunchedSession.start(mesh.alice, { args: ["--name", "waiter A"], tag: "w" });
    try {
      const key = await sessionKeySeenBy(mesh.bob, "waiter A");
      await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "busy"), a.sessionEnv());
      await waitUntil(async () => (await statusOf(mesh.bob, key)) === "working", { timeoutMs: 10_000 });
      await mesh.bob.runJson(["send", key.slice(0, 12), "after the turn"]);
      // The Stop hook's own report never came (killed on a loaded machine); the waiter starts anyway.
      const wait = startWait(mesh.alice, stopInput(a.sessionId()), a.sessionEnv());
      expect((await wait.done).code).toBe(2);
      expect(wait.stderr()).toContain("after the turn");
      expect(wait.stderr()).toContain("arrived while this session was idle");
    } finally {
      a.kill();
    }
  });

  it("a message sent before the first prompt wakes a fresh session through the hook lane", async () => {
    const a = await LaunchedSession.start(mesh.alice, { args: ["--name", "fresh A"], tag: "f" });
    try {
      const key = await sessionKeySeenBy(mesh.bob, "fresh A");
      // SessionStart starts the waiter: the session has had no turn yet.
      const startInput = { ...stopInput(a.sessionId()), hook_event_name: "SessionStart", source: "startup" };
      const wait = startWait(mesh.alice, startInput, a.sessionEnv());
      await mesh.bob.runJson(["send", key.slice(0, 12), "hello before your first prompt"]);
      expect((await wait.done).code).toBe(2);
      expect(wait.stderr()).toContain("hello before your first prompt");
    } finally {
      a.kill();
    }
  });

  it("a `now` message mid-turn is labelled as arriving while the session was working", async () => {
    const a = await LaunchedSession.start(mesh.alice, { args: ["--name", "midturn A"], tag: "m" });
    try {
      const key = await sessionKeySeenBy(mesh.bob, "midturn A");
      const wait = startWait(mesh.alice, stopInput(a.sessionId()), a.sessionEnv());
      await waitUntil(async () => (await statusOf(mesh.bob, key)) === "idle", { timeoutMs: 10_000 });
      // The user types the next prompt while the previous turn's waiter still runs.
      await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "next task"), a.sessionEnv());
      await waitUntil(async () => (await statusOf(mesh.bob, key)) === "working", { timeoutMs: 10_000 });
      await mesh.bob.runJson(["send", key.slice(0, 12), "urgent: stop the deploy", "--priority", "now"]);
      expect((await wait.done).code).toBe(2);
      expect(wait.stderr()).toContain("urgent: stop the deploy");
      expect(wait.stderr()).toContain("arrived while this session was working");
    } finally {
      a.kill();
    }
  });

  it("`status dnd` inside a launched session applies to it; hooks do not undo it", async () => {
    const a = await LaunchedSession.start(mesh.alice, { args: ["--name", "dnd A"], tag: "d" });
    try {
      const key = await sessionKeySeenBy(mesh.bob, "dnd A");
      expect((await mesh.alice.run(["status", "dnd"], { env: a.sessionEnv() })).code).toBe(0);
      await waitUntil(async () => (await statusOf(mesh.bob, key)) === "dnd", { timeoutMs: 10_000 });
      await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "hi"), a.sessionEnv());
      await runHook(mesh.alice, "idle", stopInput(a.sessionId()), a.sessionEnv());
      expect(await statusOf(mesh.bob, key)).toBe("dnd");
      expect((await mesh.alice.run(["status", "idle"], { env: a.sessionEnv() })).code).toBe(0);
      await waitUntil(async () => (await statusOf(mesh.bob, key)) === "idle", { timeoutMs: 10_000 });
    } finally {
      a.kill();
    }
  });

  it("a DM to a session that ended stays with it: never shown elsewhere, listed in inbox, delivered on resume", async () => {
    const a = await LaunchedSession.start(mesh.alice, { args: ["--name", "ending A"], tag: "e" });
    const sessionId = a.sessionId();
    const key = await sessionKeySeenBy(mesh.bob, "ending A");
    await runHook(mesh.alice, "prompt", promptInput(sessionId, "a long turn"), a.sessionEnv());
    await waitUntil(async () => (await statusOf(mesh.bob, key)) === "working", { timeoutMs: 10_000 });
    // Held (`next` while working), then the session ends: the broker hands it to alice's daemon.
    await mesh.bob.runJson(["send", key.slice(0, 12), "for ending A only"]);
    expect(await a.end()).toBe(0);
    expect(a.stderr).toContain(`claudemesh launch --name 'ending A' -- --resume ${sessionId}`);
    const ambient = await McpUnderTest.start(mesh.alice.env);
    try {
      await ambient.following();
      const listed = await waitUntil(
        async () =>
          (
            await mesh.alice.runJson<{
              messages: Array<{
                body: string;
                for_session: string;
                for_ended_session: { session_id: string };
              }>;
            }>(["inbox"])
          ).messages.find((m) => m.body === "for ending A only"),
        { timeoutMs: 15_000, message: "the message never reached alice's daemon" },
      );
      expect(listed).toMatchObject({ for_session: key, for_ended_session: { session_id: sessionId } });
      const human = await mesh.alice.run(["inbox"]);
      expect(human.stdout).toContain(`ended session ${key.slice(0, 8)}`);
      expect(human.stdout).toContain(`--resume ${sessionId}`);

      // Another session, an ambient prompt hook, an ambient waiter, the ambient channel: none show it.
      const b = await LaunchedSession.start(mesh.alice, { args: ["--name", "other B"], tag: "b" });
      try {
        const other = await runHook(mesh.alice, "prompt", promptInput(b.sessionId(), "hi"), b.sessionEnv());
        expect(other.stdout).not.toContain("for ending A only");
      } finally {
        b.kill();
      }
      const plain = await runHook(mesh.alice, "prompt", promptInput("plain-claude-session", "hi"));
      expect(plain.stdout).not.toContain("for ending A only");
      expect(
        ambient
          .channel()
          .map((n) => n.content)
          .join("\n"),
      ).not.toContain("for ending A only");

      // Resumed in the mesh, the session (same key) gets it.
      const resumed = await LaunchedSession.start(mesh.alice, {
        args: ["--name", "ending A", "--", "--resume", sessionId],
        tag: "r",
      });
      try {
        expect(resumed.record().argv).toContain(sessionId);
        const shown = await runHook(mesh.alice, "prompt", promptInput(sessionId, "back"), {
          CLAUDEMESH_IPC_TOKEN_FILE: resumed.record().tokenFile ?? "",
        });
        expect(shown.stdout).toContain("for ending A only");
      } finally {
        resumed.kill();
      }
    } finally {
      await ambient.close();
    }
  });
});
