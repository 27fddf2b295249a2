/**
 * The broker under test: `claudemesh broker` as its own process (embedded SQLite in a temp dir, or the
 * PostgreSQL database it is given) with the
 * send-rate, frame-rate and capacity limits lifted, since the benchmark measures the engine, not the
 * anti-abuse limits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../bin/claudemesh.js", import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface BrokerProcess {
  readonly pid: number;
  /** `ws://127.0.0.1:<port>/ws` */
  readonly url: string;
  /** Null on a node that joined a database another node gave the admin token. */
  readonly adminToken: string | null;
  /** The broker's stderr (JSON-line logs), for diagnostics. */
  readonly logFile: string;
  /** SIGTERM (graceful: a CPU profile gets written), SIGKILL after a deadline. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, nothing flushed or closed. */
  kill9(): Promise<void>;
}

export async function startBroker(f: {
  dataDir: string;
  logDir: string;
  profileDir: string | null;
  /** @default 0 (a free port) */
  port?: number;
  /** Store in this PostgreSQL database; null: SQLite in the data dir. */
  databaseUrl: string | null;
}): Promise<BrokerProcess> {
  const logFile = join(f.logDir, "broker.log");
  const logFd = openSync(logFile, "a");
  const nodeFlags = f.profileDir === null ? [] : ["--cpu-prof", "--cpu-prof-dir", f.profileDir];
  // Through the environment, not argv, so a password in the URL stays out of `ps`; and never the
  // caller's own DATABASE_URL (the server's, not this run's database) when the run is on SQLite.
  const env = { ...process.env };
  if (f.databaseUrl === null) delete env.DATABASE_URL;
  else env.DATABASE_URL = f.databaseUrl;
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      CLI,
      "broker",
      "--host",
      "127.0.0.1",
      "--port",
      String(f.port ?? 0),
      "--data",
      f.dataDir,
      "--send-rate",
      "0",
      "--frame-rate",
      "0",
      "--max-peers-per-mesh",
      "0",
    ],
    { stdio: ["ignore", "pipe", logFd], env },
  );
  closeSync(logFd);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = once(() => stopChild(child, exited));
  const kill9 = once(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  try {
    const url = await listeningUrl(child, logFile);
    // Only the node that gave the database its admin token has the file; the others accept the same token.
    const tokenFile = join(f.dataDir, "admin-token");
    const adminToken = existsSync(tokenFile) ? readFileSync(tokenFile, "utf8").trim() : null;
    return { pid: child.pid ?? 0, url, adminToken, logFile, stop, kill9 };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Resolves with the URL from the `listening on ws://HOST:PORT/ws` line the broker prints when ready. */
function listeningUrl(child: ChildProcess, logFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdout = child.stdout;
    if (stdout === null) {
      reject(new Error("the broker process has no stdout"));
      return;
    }
    const lines = createInterface({ input: stdout });
    const fail = (why: string) => {
      clearTimeout(timer);
      lines.close();
      stdout.resume();
      reject(new Error(`the broker did not start: ${why}\n${tail(logFile)}`));
    };
    const timer = setTimeout(
      () => fail(`no "listening on" line within ${START_TIMEOUT_MS / 1000} s`),
      START_TIMEOUT_MS,
    );
    const onExit = (code: number | null, signal: string | null) =>
      fail(`it exited (${signal ?? `code ${code}`})`);
    child.once("exit", onExit);
    lines.on("line", (line) => {
      const match = /listening on (ws:\/\/\S+\/ws)/.exec(line);
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.removeListener("exit", onExit);
      // Keep draining stdout so a chatty broker never blocks on a full pipe.
      lines.removeAllListeners("line");
      resolve(match[1]);
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | null = null;
  return () => (result ??= fn());
}

/** The last lines of the broker log, for a failure message. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    // Nothing logged yet.
    return "";
  }
}
