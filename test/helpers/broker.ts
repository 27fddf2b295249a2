/**
 * A real broker process for integration tests: started on 127.0.0.1 port 0 with its own temp data dir,
 * stopped gracefully, killed with SIGKILL, restarted on the same data dir. It runs the built code
 * (`npm run build` first) through the `claudemesh broker` verb.
 *
 * The mesh, peer and wait helpers are re-exported so a test file imports one module.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { closeAllClients } from "./app-client.js";
import { withTimeout } from "./deadline.js";
import { closeAllPeers } from "./raw-peer.js";

export * from "./app-client.js";
export * from "./deadline.js";
export * from "./mesh-fixture.js";
export * from "./raw-peer.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const CLI_BIN = join(ROOT, "bin", "claudemesh.js");
const BROKER_MODULE = join(ROOT, "dist", "src", "broker", "index.js");
const READY_LINE = /listening on (ws:\/\/\S+)/;
const MAX_LOG_CHARS = 2_000_000;

/** Limits as the `claudemesh broker` flags name them; 0 lifts one. */
export interface BrokerLimits {
  maxPeersPerMesh?: number;
  /** Sends per minute per member. */
  sendRate?: number;
  sendBurst?: number;
  /** Non-send frames per connection per second. */
  frameRate?: number;
  /** Bytes of files each member may store per mesh. */
  fileQuota?: number;
  /** Rows each member may own per mesh in each shared family. */
  rowQuota?: number;
}

/**
 * Protocol timers, shortened so a test need not wait out the real values (the `claudemesh broker`
 * testing flags of the same names). Absent: the protocol's value.
 */
export interface BrokerTimers {
  claimLeaseMs?: number;
  helloTimeoutMs?: number;
  workingSweepMs?: number;
  workingTimeoutMs?: number;
  hookWorkingTimeoutMs?: number;
  /** How often coalesced presence events go out (`--presence-tick-ms`). */
  presenceTickMs?: number;
  /** Ping and presence-row refresh interval (`--heartbeat-ms`). */
  heartbeatMs?: number;
  /** In a cluster, when a dead node's presences are marked gone (`--presence-expiry-ms`). */
  presenceExpiryMs?: number;
  /** How long non-persistent files are kept (`--file-retention-ms`). */
  fileRetentionMs?: number;
  /** Retention sweep interval (`--retention-sweep-ms`). */
  retentionSweepMs?: number;
  /** How often due scheduled messages are looked for (`--schedule-poll-ms`). */
  schedulePollMs?: number;
  /** Shifts the clock scheduled messages fire by (`--schedule-clock-offset-ms`). */
  scheduleClockOffsetMs?: number;
}

const TIMER_FLAGS: ReadonlyArray<[keyof BrokerTimers, string]> = [
  ["claimLeaseMs", "--claim-lease-ms"],
  ["helloTimeoutMs", "--hello-timeout-ms"],
  ["workingSweepMs", "--working-sweep-ms"],
  ["workingTimeoutMs", "--working-timeout-ms"],
  ["hookWorkingTimeoutMs", "--hook-working-timeout-ms"],
  ["presenceTickMs", "--presence-tick-ms"],
  ["heartbeatMs", "--heartbeat-ms"],
  ["presenceExpiryMs", "--presence-expiry-ms"],
  ["fileRetentionMs", "--file-retention-ms"],
  ["retentionSweepMs", "--retention-sweep-ms"],
  ["schedulePollMs", "--schedule-poll-ms"],
  ["scheduleClockOffsetMs", "--schedule-clock-offset-ms"],
];

export interface StartBrokerOptions extends BrokerLimits, BrokerTimers {
  /** Extra environment for the broker process. */
  env?: Record<string, string>;
  /** @default 20000 */
  startTimeoutMs?: number;
  /** Data dir to use instead of a fresh temp dir (say, on a small filesystem); `dispose()` deletes it. */
  dataDir?: string;
  /** Store in this PostgreSQL database (`--database-url`) instead of SQLite in the data dir. */
  databaseUrl?: string;
}

type Launcher = "cli" | "module";

/**
 * The real `claudemesh broker` verb, as a user runs it. `CLAUDEMESH_TEST_BROKER_LAUNCHER=module` starts
 * `runBroker` through a one-line module script instead (to tell a CLI problem from a broker problem).
 */
function launcher(): Launcher {
  if (!existsSync(BROKER_MODULE)) throw new Error(`${BROKER_MODULE} is missing: run \`npm run build\` first`);
  return process.env.CLAUDEMESH_TEST_BROKER_LAUNCHER === "module" ? "module" : "cli";
}

const MODULE_SCRIPT = `
const opts = JSON.parse(process.env.CLAUDEMESH_TEST_BROKER_OPTS);
const { runBroker } = await import(opts.module);
const broker = await runBroker(opts.broker);
console.log("listening on " + broker.url);
const stop = () => broker.close().then(() => process.exit(0), () => process.exit(1));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
`;

function spawnArgs(
  dataDir: string,
  limits: BrokerLimits & BrokerTimers & Pick<StartBrokerOptions, "databaseUrl">,
): { args: string[]; env: Record<string, string> } {
  const timers = TIMER_FLAGS.flatMap(([name, flag]) => {
    const value = limits[name];
    return value === undefined ? [] : [{ name, flag, value }];
  });
  if (launcher() === "cli") {
    const args = [CLI_BIN, "broker", "--host", "127.0.0.1", "--port", "0", "--data", dataDir];
    if (limits.maxPeersPerMesh !== undefined)
      args.push("--max-peers-per-mesh", String(limits.maxPeersPerMesh));
    if (limits.sendRate !== undefined) args.push("--send-rate", String(limits.sendRate));
    if (limits.sendBurst !== undefined) args.push("--send-burst", String(limits.sendBurst));
    if (limits.frameRate !== undefined) args.push("--frame-rate", String(limits.frameRate));
    if (limits.fileQuota !== undefined) args.push("--file-quota", String(limits.fileQuota));
    if (limits.rowQuota !== undefined) args.push("--row-quota", String(limits.rowQuota));
    if (limits.databaseUrl !== undefined) args.push("--database-url", limits.databaseUrl);
    for (const { flag, value } of timers) args.push(flag, String(value));
    return { args, env: {} };
  }
  const broker = {
    host: "127.0.0.1",
    port: 0,
    dataDir,
    databaseUrl: limits.databaseUrl,
    maxPeersPerMesh: limits.maxPeersPerMesh,
    sendRatePerMin: limits.sendRate,
    sendBurst: limits.sendBurst,
    frameRatePerSec: limits.frameRate,
    fileQuotaBytes: limits.fileQuota,
    rowQuota: limits.rowQuota,
    ...Object.fromEntries(timers.map(({ name, value }) => [name, value])),
  };
  return {
    args: ["--input-type=module", "-e", MODULE_SCRIPT],
    env: { CLAUDEMESH_TEST_BROKER_OPTS: JSON.stringify({ module: BROKER_MODULE, broker }) },
  };
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  // A worker that dies without its afterAll must not leave brokers behind.
  for (const child of running) child.kill("SIGKILL");
});

export class BrokerProcess {
  url = "";
  httpUrl = "";
  port = 0;
  adminToken = "";
  private child: ChildProcess | null = null;
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({
    code: null,
    signal: null,
  });
  private log = "";

  private constructor(
    readonly dataDir: string,
    private readonly options: StartBrokerOptions,
  ) {}

  /** Starts a broker on a fresh temp data dir (or `options.dataDir`) and waits for its `listening on` line. */
  static async start(options: StartBrokerOptions = {}): Promise<BrokerProcess> {
    const broker = new BrokerProcess(options.dataDir ?? mkdtempSync(join(tmpdir(), "cm-broker-")), options);
    await broker.launch();
    return broker;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** True while the process runs. */
  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the broker wrote to stderr (JSON log lines), for failure messages. */
  logs(): string {
    return this.log;
  }

  /** Graceful stop (SIGTERM: close 1001 to every socket, store closed); SIGKILL after 8 s. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child?.kill("SIGTERM");
    try {
      await withTimeout(this.exit, 8_000, "broker did not stop on SIGTERM");
    } catch {
      // Too slow to drain: cut it, the test only needs it gone.
      await this.kill9();
    }
  }

  /** SIGKILL: no drain, no store close — a crash. */
  async kill9(): Promise<void> {
    if (!this.alive) return;
    this.child?.kill("SIGKILL");
    await this.exit;
  }

  /** Starts the broker again on the same data dir (a new port: use `url`/`httpUrl` afterwards). */
  async restart(): Promise<void> {
    if (this.alive) throw new Error("restart() needs a stopped broker");
    await this.launch();
  }

  /** Stops the process and deletes its data dir. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const { args, env } = spawnArgs(this.dataDir, this.options);
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env, ...this.options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    running.add(child);
    this.exit = new Promise((resolveExit) => {
      child.once("exit", (code, signal) => {
        running.delete(child);
        resolveExit({ code, signal });
      });
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      if (this.log.length < MAX_LOG_CHARS) this.log += chunk;
    });
    child.stdout?.setEncoding("utf8");
    let stdout = "";
    const ready = new Promise<string>((resolveReady, reject) => {
      child.stdout?.on("data", (chunk: string) => {
        stdout += chunk;
        const match = READY_LINE.exec(stdout);
        if (match?.[1]) resolveReady(match[1]);
      });
      void this.exit.then(({ code, signal }) =>
        reject(
          new Error(
            `broker exited before listening (code ${code}, signal ${signal}):\n${stdout}\n${this.log}`,
          ),
        ),
      );
    });
    const url = await withTimeout(
      ready,
      this.options.startTimeoutMs ?? 20_000,
      "broker did not print `listening on`",
    );
    const parsed = new URL(url);
    this.url = url;
    this.port = Number(parsed.port);
    this.httpUrl = `http://${parsed.host}`;
    // A node joining a database another node gave the token has no file (the hash is in the database).
    const tokenFile = join(this.dataDir, "admin-token");
    this.adminToken = existsSync(tokenFile) ? readFileSync(tokenFile, "utf8").trim() : "";
  }
}

/** Shorthand for {@link BrokerProcess.start}. */
export function startBroker(options: StartBrokerOptions = {}): Promise<BrokerProcess> {
  return BrokerProcess.start(options);
}

/**
 * One broker for the whole test file: started in `beforeAll`; in `afterAll` every raw peer and app client
 * is closed, then the broker is disposed. Returns a getter for it, usable once `beforeAll` has run (hooks
 * the file registers after this call run after the start and before the disposal).
 */
export function useBroker(options: StartBrokerOptions = {}): () => BrokerProcess {
  let broker: BrokerProcess | undefined;
  beforeAll(async () => {
    broker = await startBroker(options);
  });
  afterAll(async () => {
    closeAllPeers();
    await closeAllClients();
    await broker?.dispose();
  });
  return () => {
    if (!broker) throw new Error("useBroker(): the broker is started in beforeAll");
    return broker;
  };
}

/** `GET`/`POST` against the broker's HTTP port; resolves with status and parsed JSON (or text). */
export async function httpJson(
  broker: BrokerProcess,
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string; headers: Headers }> {
  const res = await fetch(`${broker.httpUrl}${path}`, {
    method,
    headers: { ...(init.body === undefined ? {} : { "Content-Type": "application/json" }), ...init.headers },
    body: init.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (e.g. /metrics): callers read `text`.
  }
  return { status: res.status, body, text, headers: res.headers };
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Whether any file of the broker's data directory (database, WAL, file store) holds `text` as bytes. */
export function brokerDataContains(
  broker: Pick<BrokerProcess, "dataDir">,
  text: string | Uint8Array,
): boolean {
  const needle = typeof text === "string" ? Buffer.from(text) : Buffer.from(text);
  return filesUnder(broker.dataDir).some((file) => readFileSync(file).includes(needle));
}
