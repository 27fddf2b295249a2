/** Liveness and identity of local processes (session reaper, daemon lock). Never blocks on a child process. */
import { readFileSync } from "node:fs";

/**
 * Whether a process with this pid exists and has not exited (EPERM means it exists but belongs to
 * someone else). A zombie — killed but not yet reaped by its parent — counts as gone.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return procStatFields(pid)?.[0] !== "Z";
}

/** Fields 3.. of `/proc/<pid>/stat` (state first), or null off Linux / when unreadable. */
function procStatFields(pid: number): string[] | null {
  if (process.platform !== "linux") return null;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null; // gone, or no procfs: the caller decides from pid liveness
  }
  // The command name (field 2) is in parentheses and may contain spaces; fields count on after it.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/**
 * An opaque start time of the process, to notice a pid reused by another program: field 22 of
 * `/proc/<pid>/stat` (clock ticks since boot) on Linux; null elsewhere or when unreadable.
 */
export function processStartTime(pid: number): string | null {
  // Index 0 is field 3, so field 22 is at index 19.
  return procStatFields(pid)?.[19] ?? null;
}

/** True while the process that had `startTime` at registration still runs under `pid`. */
export function sameProcessAlive(pid: number, startTime: string | null): boolean {
  if (!pidAlive(pid)) return false;
  if (startTime === null) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}
