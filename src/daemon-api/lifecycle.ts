/**
 * The one daemon lifecycle helper (CLI, MCP server and hooks use it): find a running daemon, or start one
 * detached — under a spawn lock so two callers never start two, with a "recently failed" marker so a
 * broken setup fails fast instead of spawning on every command.
 */
import { pidAlive } from "../host/process-info.js";
import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DaemonClient, DaemonUnavailableError } from "./client.js";
import { loadConfig } from "../host/config.js";
import { configDir, daemonDir, daemonFiles } from "../host/paths.js";
import { privacyProblem } from "../host/secure-fs.js";

/** A daemon could not be found or started. `hint` says exactly what to run. */
export class DaemonLifecycleError extends Error {
  override readonly name = "DaemonLifecycleError";
  constructor(
    /**
     * `daemon_not_running` (spawn not allowed), `daemon_spawn_failed`, `daemon_dir_unusable`,
     * `insecure_permissions` (the daemon would refuse to start: other users could reach its socket).
     */
    readonly code:
      "daemon_not_running" | "daemon_spawn_failed" | "daemon_dir_unusable" | "insecure_permissions",
    message: string,
    readonly hint: string,
    /** The last lines of daemon.log, when a start failed. */
    readonly logTail: string = "",
  ) {
    super(message);
  }
}

export interface EnsureDaemonOptions {
  /** Start the daemon when none answers; otherwise fail with `daemon_not_running`. */
  spawn: boolean;
  /**
   * How long to wait for a started daemon to answer (it is given up on sooner if it exits).
   * @default DAEMON_START_TIMEOUT_MS
   */
  timeoutMs?: number;
  /** Called once when a start begins (e.g. to show a spinner). */
  onStart?: (message: string) => void;
  /** Options for the returned client (token, timeout). */
  client?: { token?: string | null; timeoutMs?: number };
}

/** A daemon that is still alive may take this long to answer on a busy machine before it counts as failed. */
export const DAEMON_START_TIMEOUT_MS = 30_000;
/** A failed start less than this long ago fails fast instead of spawning again. */
export const SPAWN_FAILURE_COOLDOWN_MS = 30_000;
/** A spawn lock older than this is left over from a crashed caller. */
const STALE_LOCK_MS = 15_000;
const POLL_MS = 50;

/** `<package root>/bin/claudemesh.js`, found from this module's location (src/ or dist/src/). */
export function cliBinPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    const candidate = join(dir, "bin", "claudemesh.js");
    if (existsSync(candidate) && existsSync(join(dir, "package.json"))) return candidate;
    dir = dirname(dir);
  }
  throw new DaemonLifecycleError(
    "daemon_spawn_failed",
    "cannot find bin/claudemesh.js next to the installed package",
    "reinstall claudemesh (npm install -g claudemesh) or run `claudemesh daemon up` by hand",
  );
}

/** The last `lines` lines of the daemon log, or "". */
export function daemonLogTail(lines = 15): string {
  try {
    const text = readFileSync(daemonFiles.log(), "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    // No log yet: nothing to show.
    return "";
  }
}

async function probe(client: DaemonClient): Promise<boolean> {
  try {
    await client.call("version", {});
    return true;
  } catch (err) {
    if (err instanceof DaemonUnavailableError) return false;
    throw err;
  }
}

/** An awaited pause; the timer stays referenced, or a CLI with nothing else pending would just exit. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function ensureDir(): string {
  try {
    return daemonDir();
  } catch (err) {
    const dir = process.env.CLAUDEMESH_DAEMON_DIR ?? "~/.claudemesh/daemon";
    throw new DaemonLifecycleError(
      "daemon_dir_unusable",
      `cannot use the daemon directory ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      "make it writable, or set CLAUDEMESH_DAEMON_DIR to a directory you own",
    );
  }
}

/** Takes the spawn lock, or returns false when another live caller holds it. */
function tryLock(path: string): boolean {
  try {
    const fd = openSync(path, "wx", 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  let holder = 0;
  let age = Infinity;
  try {
    holder = Number(readFileSync(path, "utf8"));
    age = Date.now() - statSync(path).mtimeMs;
  } catch {
    // Released between our open and this read: try again.
    return tryLock(path);
  }
  if (age > STALE_LOCK_MS || !Number.isInteger(holder) || holder <= 0 || !pidAlive(holder)) {
    unlinkQuiet(path);
    return tryLock(path);
  }
  return false;
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    // Already gone is the goal; anything else (EACCES) surfaces on the next write.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

function recentFailure(): { message: string } | null {
  const marker = daemonFiles.spawnFailed();
  try {
    const age = Date.now() - statSync(marker).mtimeMs;
    if (age >= SPAWN_FAILURE_COOLDOWN_MS) return null;
    return { message: readFileSync(marker, "utf8").trim() };
  } catch {
    // No marker: no recent failure.
    return null;
  }
}

function failedStart(
  reason: string,
  hint = `run \`claudemesh daemon up --foreground\` to see why (log: ${daemonFiles.log()})`,
): DaemonLifecycleError {
  const tail = daemonLogTail();
  try {
    writeFileSync(daemonFiles.spawnFailed(), `${reason}\n`, { mode: 0o600 });
  } catch {
    // The marker only throttles retries; failing to write it must not hide the real error.
  }
  return new DaemonLifecycleError(
    "daemon_spawn_failed",
    `the claudemesh daemon did not start: ${reason}`,
    hint,
    tail,
  );
}

/** Spawns `claudemesh daemon up --foreground` detached and waits for it to answer. */
async function spawnAndWait(client: DaemonClient, timeoutMs: number): Promise<void> {
  unlinkQuiet(daemonFiles.socket()); // nothing answered on it, so it is stale
  const log = openSync(daemonFiles.log(), "a", 0o600);
  const state: { exited: string | null; code: number | null } = { exited: null, code: null };
  try {
    const child = spawn(process.execPath, [cliBinPath(), "daemon", "up", "--foreground"], {
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, CLAUDEMESH_IPC_TOKEN_FILE: "" },
    });
    child.once("error", (err) => (state.exited = err.message));
    child.once("exit", (code, signal) => {
      state.code = code;
      state.exited = `it exited with ${signal ?? `code ${code}`}`;
    });
    child.unref();
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe(client)) return;
    if (state.exited !== null) {
      // It may have lost a race to a daemon started by someone else; one last probe decides.
      if (await probe(client)) return;
      // Exit 0 without answering: the daemon lock is held by a daemon that does not serve its socket.
      if (state.code === 0) {
        throw failedStart(
          `a daemon holds the lock but does not answer on ${client.socketPath}`,
          "stop it with `claudemesh daemon down`, then retry",
        );
      }
      throw failedStart(state.exited);
    }
    await delay(POLL_MS);
  }
  throw failedStart(`no answer on ${client.socketPath} within ${Math.round(timeoutMs / 1000)} s`);
}

/** A client of the running daemon; starts one (detached) when none answers and `spawn` is true. */
export async function ensureDaemon(options: EnsureDaemonOptions): Promise<DaemonClient> {
  ensureDir();
  const client = new DaemonClient(options.client);
  if (await probe(client)) return client;
  if (!options.spawn) {
    throw new DaemonLifecycleError(
      "daemon_not_running",
      "the claudemesh daemon is not running",
      "start it with `claudemesh daemon up`",
    );
  }
  // The daemon refuses to start from a directory others can write; say so before spawning it.
  for (const dir of [daemonDir(), configDir()]) {
    const problem = privacyProblem(dir, 0o700);
    if (problem !== null) {
      throw new DaemonLifecycleError(
        "insecure_permissions",
        `the claudemesh daemon will not start: ${problem.message}`,
        problem.fix,
      );
    }
  }
  // The daemon would exit on a config it cannot read; the config's own error says which file and what.
  loadConfig();
  const failed = recentFailure();
  if (failed) {
    throw new DaemonLifecycleError(
      "daemon_spawn_failed",
      `the claudemesh daemon failed to start less than ${SPAWN_FAILURE_COOLDOWN_MS / 1000} s ago: ${failed.message}`,
      `run \`claudemesh daemon up --foreground\` to see why (log: ${daemonFiles.log()})`,
      daemonLogTail(),
    );
  }
  const timeoutMs = options.timeoutMs ?? DAEMON_START_TIMEOUT_MS;
  options.onStart?.("starting the claudemesh daemon");
  const lock = daemonFiles.spawnLock();
  const deadline = Date.now() + timeoutMs + STALE_LOCK_MS;
  for (;;) {
    let locked: boolean;
    try {
      locked = tryLock(lock);
    } catch (err) {
      throw failedStart(
        `cannot write ${lock} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    if (locked) {
      try {
        if (await probe(client)) return client;
        await spawnAndWait(client, timeoutMs);
        unlinkQuiet(daemonFiles.spawnFailed());
        return client;
      } finally {
        unlinkQuiet(lock);
      }
    }
    // Another caller is starting it: wait for the socket to answer or for its lock to go.
    if (await probe(client)) return client;
    if (Date.now() > deadline) throw failedStart("another claudemesh process holds the start lock");
    await delay(POLL_MS);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    // Already gone is what we wanted.
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** Guards against a recycled pid in a stale pid file: true unless /proc says it is another program. */
function isClaudemesh(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("claudemesh");
  } catch {
    // No /proc (macOS): trust the pid file.
    return true;
  }
}

/** The pid in daemon.pid when that process lives and is claudemesh (not a recycled pid), else null. */
export function livePidFromFile(): number | null {
  try {
    const pid = Number(readFileSync(daemonFiles.pid(), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 && pidAlive(pid) && isClaudemesh(pid) ? pid : null;
  } catch {
    return null; // no pid file: nothing runs
  }
}

export interface StopResult {
  /** Whether a daemon was running. */
  wasRunning: boolean;
  pid: number | null;
}

/** Stops the running daemon (SIGTERM, then SIGKILL after `timeoutMs`), and waits until it is gone. */
export async function stopDaemon(options: { timeoutMs?: number } = {}): Promise<StopResult> {
  ensureDir();
  const client = new DaemonClient({ token: null });
  let pid: number | null = null;
  try {
    pid = (await client.call("version", {})).pid;
  } catch (err) {
    if (!(err instanceof DaemonUnavailableError)) throw err;
    pid = livePidFromFile();
  }
  if (pid === null) return { wasRunning: false, pid: null };
  const target = pid;
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  // The API asks for a clean stop (bye on every connection); a signal does the same if it cannot answer.
  await client.call("shutdown", {}).catch(() => signal(target, "SIGTERM"));
  while (pidAlive(target)) {
    if (Date.now() > deadline) {
      signal(target, "SIGKILL");
      break;
    }
    await delay(POLL_MS);
  }
  return { wasRunning: true, pid: target };
}
