/**
 * Helpers for the Claude Code integration tests: a two-user mesh made through the real CLI, `claudemesh mcp`
 * driven by the MCP SDK's own Client over stdio, `claudemesh launch` with a fake `claude` that records its
 * argv and environment, and the hooks fed the JSON Claude Code sends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll } from "vitest";
import type { JSONRPCNotification } from "@modelcontextprotocol/sdk/types.js";
import { DaemonClient } from "../../src/daemon-api/client.js";
import {
  startBroker,
  waitUntil,
  withTimeout,
  type BrokerProcess,
  type StartBrokerOptions,
} from "./broker.js";
import { CLI_BIN, CliUser, ROOT, runCli, type CliResult } from "./cli.js";

export { CLI_BIN, CliUser, ROOT };

export interface PeerRow {
  mesh: string;
  display_name: string;
  pubkey: string;
  session_pubkey: string | null;
  peer_role: string;
  status: string;
  this_session: boolean;
}

export interface InboxRow {
  id: string;
  from_name: string;
  from_pubkey: string;
  to: string;
  body: string;
  priority: string;
  surfaced: boolean;
  received_at: string;
}

export interface TwoUsers {
  broker: BrokerProcess;
  /** Owner of the mesh "team", display name "alice". */
  alice: CliUser;
  /** Member with a display name holding spaces and quotes. */
  bob: CliUser;
  bobName: string;
  alicePubkey: string;
  bobPubkey: string;
  dispose(): Promise<void>;
}

/** How long `hook wait` lets a message settle in these tests (3 s in real use). */
export const TEST_SETTLE_MS = 500;
const HOOK_TEST_ENV = { CLAUDEMESH_HOOK_SETTLE_MS: String(TEST_SETTLE_MS) };

export const BOB_NAME = `Bob "the Builder" O'Neil`;

/**
 * A broker and two users on one mesh, both daemons up and seeing each other. `aliceEnv` is added to
 * alice's environment (and so to her daemon's); `broker` starts the broker with other limits or timers.
 */
export async function twoUsers(
  label: string,
  options: { aliceEnv?: Record<string, string>; broker?: StartBrokerOptions } = {},
): Promise<TwoUsers> {
  const broker = await startBroker(options.broker);
  const alice = new CliUser(`${label}-alice`, { ...HOOK_TEST_ENV, ...options.aliceEnv });
  const bob = new CliUser(`${label}-bob`, HOOK_TEST_ENV);
  const created = await alice.createMesh(broker, "team", "alice");
  const link = String((await alice.runJson(["invite", "--uses", "1"])).link);
  const joined = await bob.runJson(["join", link, "--name", BOB_NAME]);
  for (const user of [alice, bob]) {
    const up = await user.run(["daemon", "up"]);
    if (up.code !== 0) throw new Error(`daemon up failed for ${user.name}: ${up.stderr}`);
  }
  for (const [user, other] of [
    [alice, BOB_NAME],
    [bob, "alice"],
  ] as const) {
    await waitUntil(
      async () =>
        (await user.runJson<{ peers: PeerRow[] }>(["peers", "--all"])).peers.some(
          (p) => p.display_name === other,
        ),
      { timeoutMs: 20_000, message: `${user.name} never saw ${other}` },
    );
  }
  return {
    broker,
    alice,
    bob,
    bobName: BOB_NAME,
    alicePubkey: String(created.owner_pubkey),
    bobPubkey: String(joined.pubkey),
    async dispose() {
      await Promise.all([alice.dispose(), bob.dispose()]);
      await broker.dispose();
    },
  };
}

/**
 * A client of `user`'s daemon that reads without marking anything surfaced (the `inbox` verb marks what
 * it shows); `tokenFile` acts as that launched session.
 */
/** Waits until `observer` lists a live session named `name`, and returns that session's key. */
export async function sessionKeySeenBy(observer: CliUser, name: string): Promise<string> {
  const row = await waitUntil(
    async () =>
      (await observer.runJson<{ peers: PeerRow[] }>(["peers"])).peers.find((p) => p.display_name === name),
    { timeoutMs: 15_000, message: `${observer.name} never saw session ${name}` },
  );
  return String(row.session_pubkey);
}

export function daemonOf(user: CliUser, tokenFile?: string): DaemonClient {
  const token = tokenFile === undefined ? null : readFileSync(tokenFile, "utf8").trim();
  return new DaemonClient({ socketPath: join(user.daemonDir, "daemon.sock"), token, timeoutMs: 5_000 });
}

/** `claudemesh inbox --json` (which marks what it shows surfaced). */
export async function inboxOf(
  user: CliUser,
  env: Record<string, string> = {},
  extra: string[] = [],
): Promise<InboxRow[]> {
  return (await user.runJson<{ messages: InboxRow[] }>(["inbox", ...extra], { env })).messages;
}

/** `claudemesh mcp` under the SDK's Client, with every notification it sends recorded. */
export class McpUnderTest {
  readonly notifications: JSONRPCNotification[] = [];
  /** When each notification arrived (ms since the epoch), by index. */
  readonly arrivals: number[] = [];
  readonly errors: Error[] = [];
  stderr = "";
  readonly client: Client;
  readonly transport: StdioClientTransport;

  private constructor(env: Record<string, string>, args: string[]) {
    this.transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_BIN, "mcp", ...args],
      env,
      cwd: ROOT,
      stderr: "pipe",
    });
    this.transport.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
    });
    this.client = new Client({ name: "claudemesh-test", version: "1.0.0" }, { capabilities: {} });
    this.client.fallbackNotificationHandler = async (notification) => {
      this.notifications.push({ jsonrpc: "2.0", ...notification });
      this.arrivals.push(Date.now());
    };
    this.client.onerror = (err) => this.errors.push(err);
  }

  static async start(env: Record<string, string>, args: string[] = []): Promise<McpUnderTest> {
    const mcp = new McpUnderTest(env, args);
    await withTimeout(mcp.client.connect(mcp.transport), 10_000, "claudemesh mcp did not initialize");
    return mcp;
  }

  channel(): Array<{ content: string; meta: Record<string, unknown> }> {
    return this.notifications
      .filter((n) => n.method === "notifications/claude/channel")
      .map((n) => n.params as { content: string; meta: Record<string, unknown> });
  }

  /** Waits for a channel notification whose content includes `text`; `at` is when it arrived. */
  waitForChannel(
    text: string,
    timeoutMs = 5_000,
  ): Promise<{ content: string; meta: Record<string, unknown>; at: number }> {
    return waitUntil(
      () => {
        const i = this.notifications.findIndex(
          (n) =>
            n.method === "notifications/claude/channel" &&
            String((n.params as { content?: unknown } | undefined)?.content ?? "").includes(text),
        );
        if (i < 0) return null;
        const params = this.notifications[i]?.params as { content: string; meta: Record<string, unknown> };
        return { ...params, at: this.arrivals[i] ?? 0 };
      },
      {
        timeoutMs,
        intervalMs: 10,
        message: `no channel notification with "${text}" (stderr: ${this.stderr.slice(-2000)})`,
      },
    );
  }

  /** Resolves once the server logged that it follows the daemon's messages (its stream is open). */
  following(timeoutMs = 10_000): Promise<true> {
    return waitUntil(() => this.stderr.includes("following the daemon's messages"), {
      timeoutMs,
      message: `claudemesh mcp never followed the daemon (stderr: ${this.stderr.slice(-2000)})`,
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** The fake `claude`: records argv, the token env and the token file's mode; exits with FAKE_CLAUDE_EXIT when stdin ends. */
const FAKE_CLAUDE = `#!/usr/bin/env node
const fs = require("node:fs");
const tokenFile = process.env.CLAUDEMESH_IPC_TOKEN_FILE || null;
let mode = null;
try { mode = fs.statSync(tokenFile).mode & 0o777; } catch {}
const record = { argv: process.argv.slice(2), pid: process.pid, tokenFile, tokenMode: mode, cwd: process.cwd() };
fs.writeFileSync(process.env.FAKE_CLAUDE_RECORD, JSON.stringify(record));
process.stdout.write("FAKE-CLAUDE-READY\\n");
process.stdin.resume();
process.stdin.on("end", () => process.exit(Number(process.env.FAKE_CLAUDE_EXIT || "0")));
process.on("SIGTERM", () => process.exit(143));
`;

export function writeFakeClaude(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "fake-claude.cjs");
  writeFileSync(path, FAKE_CLAUDE);
  chmodSync(path, 0o755);
  return path;
}

export interface FakeRecord {
  argv: string[];
  pid: number;
  tokenFile: string | null;
  tokenMode: number | null;
  cwd: string;
}

/** A running `claudemesh launch` with the fake claude in it. */
export class LaunchedSession {
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    private readonly recordFile: string,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (this.stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  static async start(
    user: CliUser,
    options: { args?: string[]; exitCode?: number; env?: Record<string, string>; tag?: string } = {},
  ): Promise<LaunchedSession> {
    const dir = join(user.root, "fake");
    const fake = writeFakeClaude(dir);
    const recordFile = join(dir, `record-${options.tag ?? "0"}-${Date.now()}.json`);
    const child = spawn(process.execPath, [CLI_BIN, "launch", ...(options.args ?? [])], {
      cwd: ROOT,
      env: {
        ...user.env,
        CLAUDEMESH_CLAUDE_BIN: fake,
        FAKE_CLAUDE_RECORD: recordFile,
        FAKE_CLAUDE_EXIT: String(options.exitCode ?? 0),
        ...options.env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const session = new LaunchedSession(child, recordFile);
    await waitUntil(() => session.stdout.includes("FAKE-CLAUDE-READY") || session.child.exitCode !== null, {
      timeoutMs: 20_000,
      message: "the fake claude never started",
    });
    if (!session.stdout.includes("FAKE-CLAUDE-READY")) {
      throw new Error(
        `launch exited early (${session.child.exitCode}): ${session.stdout}\n${session.stderr}`,
      );
    }
    return session;
  }

  record(): FakeRecord {
    return JSON.parse(readFileSync(this.recordFile, "utf8")) as FakeRecord;
  }

  /** The environment a process inside this session (hooks, the MCP server, the CLI) has. */
  sessionEnv(): Record<string, string> {
    const token = this.record().tokenFile;
    if (token === null) throw new Error("the fake claude got no CLAUDEMESH_IPC_TOKEN_FILE");
    return { CLAUDEMESH_IPC_TOKEN_FILE: token };
  }

  /** The Claude session id passed as --session-id. */
  sessionId(): string {
    const argv = this.record().argv;
    const i = argv.indexOf("--session-id");
    return argv[i + 1] ?? "";
  }

  /** Ends the fake claude (its stdin closes) and resolves with launch's exit code. */
  async end(timeoutMs = 15_000): Promise<number | null> {
    this.child.stdin?.end();
    return withTimeout(this.exited, timeoutMs, "launch did not exit after claude did");
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

/** A running `hook wait` (Claude Code starts it in the background at SessionStart and Stop). */
export interface RunningWait {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  done: Promise<{ code: number | null; at: number }>;
}

/** Starts `hook wait` with the JSON Claude Code would send; `track` collects the child for cleanup. */
export function startWait(
  user: CliUser,
  input: unknown,
  env: Record<string, string>,
  track: ChildProcess[],
): RunningWait {
  const child = spawn(process.execPath, [CLI_BIN, "hook", "wait"], {
    cwd: ROOT,
    env: { ...user.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  track.push(child);
  let stderr = "";
  let stdout = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stdin.end(JSON.stringify(input));
  const done = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once("exit", (code) => resolve({ code, at: Date.now() })),
  );
  return { child, stderr: () => stderr, stdout: () => stdout, done };
}

/** Runs a hook verb with the JSON Claude Code would send. */
export function runHook(
  user: CliUser,
  verb: "prompt" | "idle" | "wait" | "working",
  input: unknown,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const stdin = typeof input === "string" ? input : JSON.stringify(input);
  return runCli(["hook", verb], { ...user.env, ...env }, { stdin, timeoutMs }).then((r) => ({
    ...r,
    ms: Date.now() - started,
  }));
}

export function promptInput(sessionId: string, prompt: string, cwd = ROOT): Record<string, unknown> {
  return {
    session_id: sessionId,
    transcript_path: join("/tmp", `${sessionId}.jsonl`),
    cwd,
    permission_mode: "default",
    hook_event_name: "UserPromptSubmit",
    prompt,
  };
}

export function stopInput(sessionId: string, cwd = ROOT): Record<string, unknown> {
  return {
    session_id: sessionId,
    transcript_path: join("/tmp", `${sessionId}.jsonl`),
    cwd,
    hook_event_name: "Stop",
    stop_hook_active: false,
    last_assistant_message: "done",
  };
}

/** What a tool call answered: its content as JSON text, and whether it was an error result. */
export interface ToolAnswer {
  text: string;
  isError: boolean;
}

/**
 * Hooks for a test file of MCP tools: two users on a real broker (`mesh`, set once the file's `beforeAll`
 * ran) and alice's `claudemesh mcp` (`--message-mode off`); `call` runs one of its tools.
 */
export function useMcpTools(prefix: string): {
  readonly mesh: TwoUsers;
  call(name: string, args: Record<string, unknown>): Promise<ToolAnswer>;
} {
  let mesh: TwoUsers | undefined;
  let mcp: McpUnderTest | undefined;
  beforeAll(async () => {
    mesh = await twoUsers(prefix);
    mcp = await McpUnderTest.start(mesh.alice.env, ["--message-mode", "off"]);
  }, 120_000);
  afterAll(async () => {
    await mcp?.close().catch(() => undefined);
    await mesh?.dispose();
  });
  return {
    get mesh() {
      if (!mesh) throw new Error("the mesh exists once beforeAll ran");
      return mesh;
    },
    async call(name, args) {
      const result = await mcp!.client.callTool({ name, arguments: args });
      return { text: JSON.stringify(result.content), isError: result.isError === true };
    },
  };
}
