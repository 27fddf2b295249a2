/**
 * The hook verbs fed the JSON Claude Code sends, against a real broker, daemons and a launched session
 * (fake `claude`): `hook prompt` shows a waiting message once; a `<channel …>` prompt confirms its message
 * so no hook repeats it; `hook wait` exits 2 with a message ~3 s after it arrives, 0 when the session ends,
 * one waiter per session, and it waits for a daemon that is down; a channel message the transcript shows the
 * model saw mid-turn is confirmed, never repeated; every hook is silent and exits 0 on a broken daemon, no
 * mesh or malformed stdin.
 */
import type { ChildProcess } from "node:child_process";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InboxMessage } from "../../src/daemon-api/contract.js";
import { messageNotification } from "../../src/mcp/channel.js";
import { waitUntil, withTimeout } from "../helpers/broker.js";
import {
  LaunchedSession,
  startWait as startWaitOf,
  type RunningWait,
  TEST_SETTLE_MS,
  daemonOf,
  promptInput,
  runHook,
  stopInput,
  twoUsers,
  type CliUser,
  sessionKeySeenBy,
  type TwoUsers,
} from "../helpers/claude-code.js";

let mesh: TwoUsers;
let a: LaunchedSession;
let keyA = "";
const children: ChildProcess[] = [];

/** The end of a turn, as Claude Code's Stop hook reports it (a prompt hook left the session `working`). */
async function turnEnds(sessionId: string, env: Record<string, string>): Promise<void> {
  const idle = await runHook(mesh.alice, "idle", stopInput(sessionId), env);
  expect(idle).toMatchObject({ code: 0, stdout: "", stderr: "" });
}

/** Each hook verb run with `env` exits 0 and writes nothing (a hook must never disturb Claude Code). */
async function expectSilent(
  env: Record<string, string>,
  verbs: readonly ("prompt" | "idle" | "wait" | "working")[],
): Promise<void> {
  for (const verb of verbs) {
    const input = verb === "prompt" ? promptInput("s", "hi") : stopInput("s");
    const result = await runHook(mesh.alice, verb, input, env);
    expect({ verb, code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      verb,
      code: 0,
      stdout: "",
      stderr: "",
    });
  }
}

/** A DM from bob to session A; resolves with the message as A's daemon view has it (unread, not marked). */
async function dmToA(body: string): Promise<InboxMessage> {
  await mesh.bob.runJson(["send", keyA.slice(0, 12), body]);
  return waitUntil(
    async () =>
      (
        await daemonOf(mesh.alice, a.record().tokenFile ?? undefined).call("inbox", {
          unread: true,
          limit: 500,
        })
      ).messages.find((m) => m.body === body),
    { timeoutMs: 10_000, message: `"${body}" never reached session A` },
  );
}

function startWait(user: CliUser, input: unknown, env: Record<string, string>): RunningWait {
  return startWaitOf(user, input, env, children);
}

/** The pids holding waiter slots of `user`. */
function waiterPids(user: CliUser): number[] {
  const dir = join(user.daemonDir, "waiters");
  try {
    return readdirSync(dir).map((f) => Number(readFileSync(join(dir, f), "utf8").trim()));
  } catch {
    return [];
  }
}

beforeAll(async () => {
  mesh = await twoUsers("hooks");
  a = await LaunchedSession.start(mesh.alice, { args: ["--name", "hooked A"], tag: "a" });
  keyA = await sessionKeySeenBy(mesh.bob, "hooked A");
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  a?.kill();
  await mesh?.dispose();
});

describe("hook prompt", () => {
  it("prints a waiting message once, framed with its verified sender, and never again", async () => {
    const message = await dmToA("please look at the failing test");
    const first = await runHook(
      mesh.alice,
      "prompt",
      promptInput(a.sessionId(), "what next?"),
      a.sessionEnv(),
    );
    expect(first.code).toBe(0);
    expect(first.stderr).toBe("");
    expect(first.stdout).toContain("please look at the failing test");
    expect(first.stdout).toMatch(
      /^\[claudemesh\] 1 message from peers arrived for this session\. .*not from your user/,
    );
    expect(first.stdout).toContain(
      `message from ${mesh.bobName} (verified member ${mesh.bobPubkey.slice(0, 8)})`,
    );
    expect(first.stdout).toContain(`<peer_message id="${message.id}">`);
    const second = await runHook(
      mesh.alice,
      "prompt",
      promptInput(a.sessionId(), "and now?"),
      a.sessionEnv(),
    );
    expect(second).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const row = (
      await daemonOf(mesh.alice, a.record().tokenFile ?? undefined).call("inbox", { limit: 500 })
    ).messages.find((m) => m.id === message.id);
    expect(row?.surfaced).toBe(true);
    await turnEnds(a.sessionId(), a.sessionEnv());
  });

  it("finds the session from the hook JSON's session_id when the token variable is missing", async () => {
    await dmToA("found by session id");
    const result = await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "hi"));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("found by session id");
    await turnEnds(a.sessionId(), {});
  });

  it("in ambient mode (no launched session) shows member-addressed messages", async () => {
    await mesh.bob.runJson(["send", "alice", "to the member, ambient"]);
    await waitUntil(
      async () =>
        (await daemonOf(mesh.alice).call("inbox", { unread: true, limit: 500 })).messages.some(
          (m) => m.body === "to the member, ambient",
        ),
      { timeoutMs: 10_000 },
    );
    const ambient = "3f0c8a4e-0000-4000-8000-00000000abcd";
    const result = await runHook(mesh.alice, "prompt", promptInput(ambient, "hi"));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("to the member, ambient");
    await turnEnds(ambient, {});
  });

  it("a <channel> prompt confirms its message: neither hook shows it again", async () => {
    const pushed = await dmToA("pushed through the channel");
    const channelPrompt =
      `<channel source="claudemesh" user="${mesh.bobName.replace(/"/g, "&quot;")}" message_id="${pushed.id}">\n` +
      "[claudemesh] message from …\npushed through the channel\n</channel>";
    const prompt = await runHook(
      mesh.alice,
      "prompt",
      promptInput(a.sessionId(), channelPrompt),
      a.sessionEnv(),
    );
    await turnEnds(a.sessionId(), a.sessionEnv());
    expect(prompt.code).toBe(0);
    // (Member-level messages from earlier tests may still be unread for this session; this one is not shown.)
    expect(prompt.stdout).not.toContain("pushed through the channel");
    const wait = startWait(mesh.alice, stopInput(a.sessionId()), a.sessionEnv());
    await waitUntil(() => waiterPids(mesh.alice).includes(wait.child.pid ?? -1), { timeoutMs: 10_000 });
    await dmToA("after the channel one");
    const { code } = await withTimeout(wait.done, 20_000, "hook wait did not deliver");
    expect(code).toBe(2);
    expect(wait.stderr()).toContain("after the channel one");
    expect(wait.stderr()).not.toContain("pushed through the channel");
  });
});

/** Whether A's daemon has `id` marked surfaced. */
async function surfaced(id: string): Promise<boolean | undefined> {
  const { messages } = await daemonOf(mesh.alice, a.record().tokenFile ?? undefined).call("inbox", {
    limit: 500,
  });
  return messages.find((m) => m.id === id)?.surfaced;
}

/**
 * A session transcript as Claude Code keeps it (JSON lines); `attach` adds a channel message the way the
 * model saw it mid-turn: `<channel source="claudemesh" …meta as escaped attributes…>` inside a JSON string.
 */
function fakeTranscript(): { path: string; attach: (message: InboxMessage) => void; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "cm-transcript-"));
  const path = join(dir, "session.jsonl");
  const line = (content: string): string =>
    `${JSON.stringify({ type: "user", message: { role: "user", content } })}\n`;
  writeFileSync(path, line("run the tests") + line("x".repeat(2_000)));
  const attribute = (value: string): string =>
    value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return {
    path,
    attach: (message) => {
      const { content, meta } = messageNotification(message);
      const attributes = Object.entries(meta)
        .map(([key, value]) => `${key}="${attribute(value)}"`)
        .join(" ");
      const block = `<channel source="claudemesh" ${attributes}>\n${content}\n</channel>`;
      appendFileSync(
        path,
        line(`<system-reminder>A message arrived while you worked:\n${block}</system-reminder>`),
      );
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describe("channel messages the model saw mid-turn (in the transcript)", () => {
  it("hook wait does not repeat one: it marks it surfaced and delivers only the others", async () => {
    const transcript = fakeTranscript();
    try {
      const input = { ...stopInput(a.sessionId()), transcript_path: transcript.path };
      const wait = startWait(mesh.alice, input, a.sessionEnv());
      await waitUntil(() => waiterPids(mesh.alice).includes(wait.child.pid ?? -1), { timeoutMs: 10_000 });
      const seen = await dmToA("attached mid-turn by the channel");
      transcript.attach(seen);
      await dmToA("never pushed to the channel");
      const { code } = await withTimeout(wait.done, 20_000, "hook wait did not deliver");
      expect(code).toBe(2);
      expect(wait.stderr()).toContain("never pushed to the channel");
      expect(wait.stderr()).not.toContain("attached mid-turn by the channel");
      expect(await surfaced(seen.id)).toBe(true);
    } finally {
      transcript.dispose();
    }
  });

  it("hook prompt confirms one instead of showing it again", async () => {
    const transcript = fakeTranscript();
    try {
      const seen = await dmToA("seen during the last turn");
      transcript.attach(seen);
      await dmToA("waiting for the next prompt");
      const input = { ...promptInput(a.sessionId(), "next"), transcript_path: transcript.path };
      const prompt = await runHook(mesh.alice, "prompt", input, a.sessionEnv());
      expect(prompt.code).toBe(0);
      expect(prompt.stdout).toContain("waiting for the next prompt");
      expect(prompt.stdout).not.toContain("seen during the last turn");
      expect(await surfaced(seen.id)).toBe(true);
      await turnEnds(a.sessionId(), a.sessionEnv());
    } finally {
      transcript.dispose();
    }
  });

  it("hook idle confirms the ones of the turn that just ended, and leaves the others unread", async () => {
    const transcript = fakeTranscript();
    try {
      const seen = await dmToA("attached just before the stop");
      const unseen = await dmToA("not attached yet");
      transcript.attach(seen);
      const input = { ...stopInput(a.sessionId()), transcript_path: transcript.path };
      expect(await runHook(mesh.alice, "idle", input, a.sessionEnv())).toMatchObject({
        code: 0,
        stdout: "",
        stderr: "",
      });
      expect(await surfaced(seen.id)).toBe(true);
      expect(await surfaced(unseen.id)).toBe(false);
      const prompt = await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "go"), a.sessionEnv());
      expect(prompt.stdout).toContain("not attached yet");
      await turnEnds(a.sessionId(), a.sessionEnv());
    } finally {
      transcript.dispose();
    }
  });
});

describe("hook wait", () => {
  it("exits 2 with a message on stderr once it has settled (3 s; shortened here)", async () => {
    const wait = startWait(mesh.alice, stopInput(a.sessionId()), a.sessionEnv());
    await waitUntil(() => waiterPids(mesh.alice).includes(wait.child.pid ?? -1), { timeoutMs: 10_000 });
    const message = await dmToA("wake up, the build is green");
    const { code, at } = await withTimeout(wait.done, 20_000, "hook wait did not deliver");
    expect(code).toBe(2);
    expect(wait.stdout()).toBe("");
    expect(wait.stderr()).toContain("wake up, the build is green");
    expect(wait.stderr()).toMatch(/arrived while this session was idle/);
    const waited = at - Date.parse(message.received_at);
    expect(waited).toBeGreaterThanOrEqual(TEST_SETTLE_MS - 100);
    // It is surfaced now: the prompt hook does not show it again.
    const prompt = await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "next"), a.sessionEnv());
    expect(prompt.stdout).not.toContain("wake up, the build is green");
    await turnEnds(a.sessionId(), a.sessionEnv());
  });

  it("a second waiter for the same session replaces the first", async () => {
    const first = startWait(mesh.alice, stopInput(a.sessionId()), a.sessionEnv());
    await waitUntil(() => waiterPids(mesh.alice).includes(first.child.pid ?? -1), { timeoutMs: 10_000 });
    const second = startWait(mesh.alice, stopInput(a.sessionId()), a.sessionEnv());
    const replaced = await withTimeout(first.done, 10_000, "the first waiter kept running");
    expect(replaced.code).toBe(0);
    expect(first.stderr()).toBe("");
    expect(waiterPids(mesh.alice)).toContain(second.child.pid);
    await dmToA("only the second waiter delivers");
    const { code } = await withTimeout(second.done, 20_000, "the second waiter did not deliver");
    expect(code).toBe(2);
    expect(second.stderr()).toContain("only the second waiter delivers");
  });

  it("exits 0 at once in `claude -p`, which would otherwise wait for it, and leaves the message unread", async () => {
    await dmToA("for the interactive session");
    const printMode = { ...a.sessionEnv(), CLAUDE_CODE_ENTRYPOINT: "sdk-cli" };
    const result = await runHook(mesh.alice, "wait", stopInput(a.sessionId()), printMode);
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const prompt = await runHook(mesh.alice, "prompt", promptInput(a.sessionId(), "next"), a.sessionEnv());
    expect(prompt.stdout).toContain("for the interactive session");
    await turnEnds(a.sessionId(), a.sessionEnv());
  });

  it("waits for a daemon that is down, and wakes the session once it is back", async () => {
    const b = await LaunchedSession.start(mesh.alice, { args: ["--name", "restart B"], tag: "r" });
    try {
      const keyB = await sessionKeySeenBy(mesh.bob, "restart B");
      expect((await mesh.alice.run(["daemon", "down"])).code).toBe(0);
      // The Stop hook of a turn that ended while the daemon was down.
      const wait = startWait(mesh.alice, stopInput(b.sessionId()), b.sessionEnv());
      let exited = false;
      void wait.done.then(() => (exited = true));
      await waitUntil(() => exited || waiterPids(mesh.alice).includes(wait.child.pid ?? -1), {
        timeoutMs: 10_000,
      });
      expect((await mesh.alice.run(["daemon", "up"])).code).toBe(0);
      await mesh.bob.runJson(["send", keyB.slice(0, 12), "back after the restart"]);
      const { code } = await withTimeout(wait.done, 30_000, "hook wait did not deliver");
      expect(code).toBe(2);
      expect(wait.stderr()).toContain("back after the restart");
    } finally {
      b.kill();
    }
  });

  it("exits 0 when the session is deregistered", async () => {
    const b = await LaunchedSession.start(mesh.alice, { args: ["--name", "short-lived B"], tag: "b" });
    const wait = startWait(mesh.alice, stopInput(b.sessionId()), b.sessionEnv());
    await waitUntil(() => waiterPids(mesh.alice).includes(wait.child.pid ?? -1), { timeoutMs: 10_000 });
    expect(await b.end()).toBe(0);
    const { code } = await withTimeout(wait.done, 10_000, "hook wait outlived its session");
    expect(code).toBe(0);
    expect(wait.stderr()).toBe("");
  });
});

describe("hooks when something is wrong", () => {
  let dir: string;
  let hanging: Server;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cm-hooks-broken-"));
    mkdirSync(join(dir, "hang"));
    // A "daemon" that accepts connections and never answers.
    hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(join(dir, "hang", "daemon.sock"), resolve));
  });

  afterAll(() => {
    hanging?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exits 0 silently on malformed stdin", async () => {
    for (const verb of ["prompt", "idle", "working", "wait"] as const) {
      for (const input of ["this is not json", "", "[1,2]", '"a string"']) {
        const result = await runHook(mesh.alice, verb, input, a.sessionEnv());
        expect({ verb, input, ...result, ms: 0 }).toMatchObject({ code: 0, stdout: "", stderr: "" });
      }
    }
  });

  it("exits 0 silently with no daemon", async () => {
    await expectSilent({ CLAUDEMESH_DAEMON_DIR: join(dir, "none") }, ["prompt", "idle", "working"]);
  });

  it("exits 0 silently when no mesh is joined, the waiter too", async () => {
    const env = { CLAUDEMESH_CONFIG_DIR: join(dir, "no-config"), CLAUDEMESH_DAEMON_DIR: join(dir, "none") };
    await expectSilent(env, ["prompt", "idle", "working", "wait"]);
  });

  it("gives up on a daemon that never answers: silent, exit 0, and the run recorded for doctor", async () => {
    const env = { CLAUDEMESH_DAEMON_DIR: join(dir, "hang"), CLAUDEMESH_HOOK_BUDGET_MS: "500" };
    for (const verb of ["prompt", "idle"] as const) {
      const input = verb === "prompt" ? promptInput("s", "hi") : stopInput("s");
      const result = await runHook(mesh.alice, verb, input, env);
      expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
    }
    const runs = readFileSync(join(dir, "hang", "hook-runs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { hook: string; outcome: string });
    expect(runs.map((r) => [r.hook, r.outcome])).toEqual([
      ["prompt", "out_of_time"],
      ["idle", "no_daemon"],
    ]);
  });
});
