/**
 * The embedded broker of `claudemesh up`: reuse one that answers /health on the port, or start
 * `claudemesh broker` detached with its output in <data dir>/broker.log and its pid in broker.pid.
 * A log is shared, so the broker never prints its admin token there: the token stays in
 * <data dir>/admin-token (0600), where `mesh create` finds it.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { health } from "../client/broker-http.js";
import { cliBinPath } from "../daemon-api/lifecycle.js";
import { ensurePrivateDir, writeSecretFile } from "../host/secure-fs.js";
import { CliError, ExitCode } from "./errors.js";

export interface LocalBroker {
  url: string;
  port: number;
  /** Whether this call started it. */
  started: boolean;
  pid: number | null;
  /** Where the broker keeps its admin token (0600). */
  adminTokenFile: string;
  /** Whether this call's start made the admin token (first start on the data dir). */
  adminTokenMade: boolean;
}

const LISTENING = /listening on (ws:\/\/\S+:(\d+)\/ws)/;

export function brokerUrlFor(port: number): string {
  return `ws://127.0.0.1:${port}/ws`;
}

async function answers(url: string): Promise<boolean> {
  try {
    await health(url, { timeoutMs: 1_500 });
    return true;
  } catch {
    // Nothing (or not a claudemesh broker) on that port.
    return false;
  }
}

function logTail(path: string, from: number): string {
  try {
    return readFileSync(path, "utf8").slice(from).trimEnd().split("\n").slice(-10).join("\n");
  } catch {
    // No log: nothing to show.
    return "";
  }
}

function readPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, "broker.pid"), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    // Started by hand (no pid file).
    return null;
  }
}

/** Finds or starts the local broker on `port` (0: any free port). */
export async function ensureLocalBroker(f: {
  port: number;
  dataDir: string;
  /** @default 15000 */
  timeoutMs?: number;
}): Promise<LocalBroker> {
  const adminTokenFile = join(f.dataDir, "admin-token");
  if (f.port !== 0 && (await answers(brokerUrlFor(f.port)))) {
    const url = brokerUrlFor(f.port);
    return {
      url,
      port: f.port,
      started: false,
      pid: readPid(f.dataDir),
      adminTokenFile,
      adminTokenMade: false,
    };
  }
  const hadAdminToken = existsSync(adminTokenFile);
  ensurePrivateDir(f.dataDir);
  const logPath = join(f.dataDir, "broker.log");
  const logStart = existsSync(logPath) ? statSync(logPath).size : 0;
  const log = openSync(logPath, "a", 0o600);
  const state: { exited: string | null } = { exited: null };
  let pid: number | null = null;
  try {
    const child = spawn(
      process.execPath,
      [
        cliBinPath(),
        "broker",
        "--host",
        "127.0.0.1",
        "--port",
        String(f.port),
        "--data",
        f.dataDir,
        "--no-print-admin-token",
      ],
      { detached: true, stdio: ["ignore", log, log], env: process.env },
    );
    child.once("error", (err) => (state.exited = err.message));
    child.once("exit", (code, signal) => (state.exited = `it exited with ${signal ?? `code ${code}`}`));
    child.unref();
    pid = child.pid ?? null;
  } finally {
    closeSync(log);
  }
  if (pid !== null) writeSecretFile(join(f.dataDir, "broker.pid"), `${pid}\n`);
  const deadline = Date.now() + (f.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    const match = LISTENING.exec(logTail(logPath, logStart));
    if (match?.[2] !== undefined) {
      const port = Number(match[2]);
      if (await answers(brokerUrlFor(port))) {
        const adminTokenMade = !hadAdminToken && existsSync(adminTokenFile);
        return { url: brokerUrlFor(port), port, started: true, pid, adminTokenFile, adminTokenMade };
      }
    }
    if (state.exited !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const tail = logTail(logPath, logStart);
  const inUse = /EADDRINUSE/.test(tail);
  throw new CliError(
    inUse ? "port_in_use" : "broker_start_failed",
    inUse
      ? `port ${f.port} is taken by another program`
      : `the local broker did not start: ${state.exited ?? "no answer within the time limit"}`,
    inUse ? "pick another with `claudemesh up --port <p>`" : `see ${logPath}`,
    inUse ? ExitCode.usage : ExitCode.failure,
    inUse ? "" : tail,
  );
}
