/**
 * One `hook wait` per session: the newest waiter takes the slot (a pid file under the daemon dir) and
 * stops the previous one with SIGTERM; a waiter re-checks that it still holds the slot before it delivers.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { daemonDir } from "../../host/paths.js";
import { writeSecretFile } from "../../host/secure-fs.js";

export interface WaiterSlot {
  /** Whether this process still holds the slot. */
  owned(): boolean;
  release(): void;
}

function readPid(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    // No waiter yet.
    return null;
  }
}

/** The command line of a process, or "" when it is gone or cannot be read. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    // No /proc (macOS): ask ps.
    const ps = spawnSync("ps", ["-p", String(pid), "-o", "command="], { encoding: "utf8", timeout: 1_000 });
    return ps.status === 0 ? ps.stdout : "";
  }
}

/** Only a process that is really a waiter gets the signal (pids are reused). */
function isWaiter(pid: number): boolean {
  return /claudemesh.* hook wait\b/.test(commandLine(pid));
}

export function takeWaiterSlot(key: string, pid = process.pid): WaiterSlot {
  const path = join(daemonDir(), "waiters", `${key}.pid`);
  const previous = readPid(path);
  writeSecretFile(path, `${pid}\n`);
  if (previous !== null && previous !== pid && isWaiter(previous)) {
    try {
      process.kill(previous, "SIGTERM");
    } catch {
      // Already gone: nothing to replace.
    }
  }
  const owned = (): boolean => readPid(path) === pid;
  return {
    owned,
    release: () => {
      if (owned()) rmSync(path, { force: true });
    },
  };
}
