/**
 * `runDaemon`: the daemon process's main. Takes the one-per-user lock, writes daemon.pid, starts the core,
 * serves the local API on the unix socket (and on 127.0.0.1 when `CLAUDEMESH_DAEMON_TCP_PORT` is set),
 * and on SIGTERM / SIGINT / `shutdown` says `bye` on every connection, closes the databases and
 * removes the socket, pid and lock files. SIGHUP re-reads the config.
 */
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "node:http";
import { randomHexToken } from "../crypto/index.js";
import { configDir, configFile, daemonDir, daemonFiles } from "../host/paths.js";
import { privacyProblem, writeSecretFile } from "../host/secure-fs.js";
import { Daemon } from "./daemon.js";
import { createApp } from "./ipc/app.js";
import { LocalError } from "./ipc/errors.js";
import { ROUTES } from "./ipc/routes/index.js";
import { closeServer, createIpcServer, listenTcp, listenUnix, socketAnswers } from "./ipc/server.js";
import { acquireLock, holdsLock } from "./lock.js";
import { createLogger, type Logger } from "./logger.js";
import { meshClientFactory, type LinkFactory } from "./links.js";
import { packageVersion } from "../host/version.js";
import { msFromEnv } from "../host/env.js";

export interface RunDaemonOptions {
  /**
   * Started by `daemon up --foreground` (or a service manager); only changes the start message.
   * @default false
   */
  foreground?: boolean;
  /** Where logs go. @default stdout */
  logger?: Logger;
}

/** After stopping, anything still holding the event loop this long is cut off with exit 0. */
const EXIT_SAFETY_MS = 3_000;
/**
 * How often the daemon checks that its lock still names it. A daemon dir removed under it (or its lock
 * deleted) lets the next command start another daemon; the old one then stops instead of living on,
 * unreachable, beside it.
 */
const LOCK_CHECK_MS = 2_000;

/**
 * Runs the daemon until it is told to stop; resolves once everything is closed. A second daemon for the
 * same user prints "claudemesh daemon already running (pid N)" on stderr and resolves at once (a no-op:
 * the caller exits 0). Startup failures reject (the caller reports them and exits non-zero).
 */
export async function runDaemon(options: RunDaemonOptions = {}): Promise<void> {
  // Every file the daemon makes (databases, socket, keys) is private to the user.
  process.umask(0o077);
  const dir = daemonDir();
  const logger = options.logger ?? createLogger();
  const log = logger.child({ component: "run" });
  // Anyone who can connect to the socket acts as this user: refuse to serve from a place others can reach.
  assertPrivate(dir, 0o700);
  assertPrivate(configDir(), 0o700);

  const lock = acquireLock(daemonFiles.lock());
  if (!lock.acquired) {
    process.stderr.write(`claudemesh daemon already running (pid ${lock.pid})\n`);
    return;
  }
  const socketPath = daemonFiles.socket();
  if (await socketAnswers(socketPath)) {
    lock.release();
    process.stderr.write(`claudemesh daemon already running (another process answers on ${socketPath})\n`);
    return;
  }

  let daemon: Daemon | null = null;
  let socketIno: number | null = null;
  let unixServer: Server | null = null;
  const servers: Server[] = [];
  const cleanup = async (): Promise<void> => {
    if (daemon !== null) {
      daemon.announceStop();
      // One turn for those writes to leave before the connections are closed.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Closing a Unix socket server unlinks its path, whoever's socket is there now: once another daemon
    // holds the lock (see LOCK_CHECK_MS), the path is its socket, so ours is left open and dropped at exit.
    const ownsPath = holdsLock(daemonFiles.lock()) && socketIno !== null && inodeOf(socketPath) === socketIno;
    await Promise.all(
      servers.map((s) => {
        if (s !== unixServer || ownsPath) return closeServer(s);
        s.unref();
        return undefined;
      }),
    );
    if (daemon !== null) await daemon.stop({ bye: true });
    if (ownsPath) rmSync(socketPath, { force: true });
    if (readPid(daemonFiles.pid()) === process.pid) rmSync(daemonFiles.pid(), { force: true });
    lock.release();
  };

  let stop!: (reason: string) => void;
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });

  try {
    writeSecretFile(daemonFiles.pid(), `${process.pid}\n`);
    daemon = await Daemon.open({
      paths: {
        config: configFile(),
        outboxDb: daemonFiles.outboxDb(),
        inboxDb: daemonFiles.inboxDb(),
        sessionKeys: daemonFiles.sessionKeys(),
        sessionsFile: join(dir, "sessions.json"),
      },
      logger,
      version: packageVersion(),
      watchConfig: true,
      ...topicSealPoll(),
      ...inboxSyncWait(),
      ...reconnectSteps(),
    });
    daemon.start();
    const app = createApp(daemon, ROUTES, () => stop("shutdown requested"));
    unixServer = createIpcServer({ app, logger, socketPath });
    servers.push(unixServer);
    await listenUnix(unixServer, socketPath);
    socketIno = inodeOf(socketPath);
    assertPrivate(socketPath, 0o600);
    const tcpPort = process.env.CLAUDEMESH_DAEMON_TCP_PORT;
    if (tcpPort !== undefined && tcpPort !== "") {
      const tcpServer = createIpcServer({ app, logger, bearerToken: localToken(daemonFiles.localToken()) });
      servers.push(tcpServer);
      const port = await listenTcp(tcpServer, Number(tcpPort));
      log.info({ port }, "tcp listener on 127.0.0.1");
    }
  } catch (error) {
    log.error({ err: error instanceof Error ? error.message : String(error) }, "daemon failed to start");
    await cleanup();
    throw error;
  }

  const onSignal = (signal: NodeJS.Signals): void => stop(signal);
  const onHangup = (): void => {
    try {
      daemon?.reload();
    } catch {
      // Logged by reload(); the attached meshes stay as they are.
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGHUP", onHangup);
  const lockCheck = setInterval(() => {
    if (!holdsLock(daemonFiles.lock())) stop("the daemon lock is gone or another daemon holds it");
  }, LOCK_CHECK_MS);
  lockCheck.unref();
  log.info(
    { version: daemon.version, socket: socketPath, meshes: daemon.meshes.map((m) => m.slug) },
    "daemon started",
  );
  if (options.foreground === true && process.stderr.isTTY) {
    process.stderr.write(
      `claudemesh daemon running (pid ${process.pid}) on ${socketPath}; Ctrl-C stops it\n`,
    );
  }

  const reason = await stopped;
  clearInterval(lockCheck);
  log.info({ reason }, "daemon stopping");
  process.off("SIGTERM", onSignal);
  process.off("SIGINT", onSignal);
  process.off("SIGHUP", onHangup);
  await cleanup();
  setTimeout(() => process.exit(0), EXIT_SAFETY_MS).unref();
}

/** Throws `insecure_permissions` with the fix when `path` is not private to this user. */
function assertPrivate(path: string, want: 0o700 | 0o600): void {
  const problem = privacyProblem(path, want);
  if (problem !== null) {
    throw new LocalError("insecure_permissions", `refusing to start: ${problem.message}`, problem.fix);
  }
}

function inodeOf(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null; // gone
  }
}

function readPid(path: string): number | null {
  try {
    return Number(readFileSync(path, "utf8").trim());
  } catch {
    return null; // already gone
  }
}

/** The TCP listener's bearer token: reused from the 0600 file, or made on first use. */
function localToken(path: string): string {
  try {
    const existing = readFileSync(path, "utf8").trim();
    if (/^[0-9a-f]{64}$/.test(existing)) return existing;
  } catch {
    // Not made yet.
  }
  const token = randomHexToken(32);
  writeSecretFile(path, `${token}\n`);
  return token;
}

/**
 * `CLAUDEMESH_RECONNECT_STEPS_MS` (`1000,2000,…`): the broker connections' reconnect delays instead of
 * protocol.md §2.8's. Tests lengthen them to see what ends a wait early.
 */
function reconnectSteps(): { linkFactory?: LinkFactory } {
  const raw = process.env.CLAUDEMESH_RECONNECT_STEPS_MS;
  if (raw === undefined || raw === "") return {};
  const steps = raw.split(",").map(Number);
  if (!steps.every((ms) => Number.isInteger(ms) && ms >= 0)) return {};
  return { linkFactory: (options) => meshClientFactory({ ...options, backoff: { steps } }) };
}

/** `CLAUDEMESH_INBOX_SYNC_WAIT_MS`: how long an inbox read waits for connections coming up (5 s). */
function inboxSyncWait(): { inboxSyncWaitMs?: number } {
  const ms = msFromEnv(process.env, "CLAUDEMESH_INBOX_SYNC_WAIT_MS");
  return ms === undefined ? {} : { inboxSyncWaitMs: ms };
}

/** `CLAUDEMESH_TOPIC_SEAL_POLL_MS` (tests shorten the 30 s `topic_pending_seals` poll). */
function topicSealPoll(): { topicSealPollMs?: number } {
  const ms = msFromEnv(process.env, "CLAUDEMESH_TOPIC_SEAL_POLL_MS");
  return ms !== undefined && ms > 0 ? { topicSealPollMs: ms } : {};
}
