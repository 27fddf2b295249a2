/**
 * One daemon per user: an exclusive lock file holding the owner's pid and process start time. A lock whose
 * owner is gone (crash, kill -9) or whose pid now belongs to another program is taken over; the takeover
 * itself is serialised by a second exclusive file so two starting daemons cannot both break the same lock.
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { processStartTime, sameProcessAlive } from "../host/process-info.js";

/** A takeover file older than this was left by a crash in the middle of a takeover. */
const STALE_TAKEOVER_MS = 10_000;

export type LockResult = { acquired: true; release: () => void } | { acquired: false; pid: number };

interface LockContent {
  pid: number;
  start_time: string | null;
}

/** Tries to take the lock at `path` for this process. */
export function acquireLock(path: string, pid = process.pid): LockResult {
  const content: LockContent = { pid, start_time: processStartTime(pid) };
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (createExclusive(path, JSON.stringify(content)))
      return { acquired: true, release: () => releaseLock(path, pid) };
    const holder = readLock(path);
    if (holder !== null && holder.pid !== pid && sameProcessAlive(holder.pid, holder.start_time)) {
      return { acquired: false, pid: holder.pid };
    }
    breakStaleLock(path, holder);
  }
  throw new Error(`could not take the daemon lock ${path}; remove it if no daemon runs`);
}

/** Creates `path` with `text` only if it does not exist; never visible half-written (temp file + link). */
function createExclusive(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function readLock(path: string): LockContent | null {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockContent>;
    if (typeof parsed.pid !== "number") return null;
    return { pid: parsed.pid, start_time: typeof parsed.start_time === "string" ? parsed.start_time : null };
  } catch {
    return null; // missing, half-written or garbage: treated as stale
  }
}

/** Removes the lock if it still holds what we judged stale, under the takeover file. */
function breakStaleLock(path: string, judged: LockContent | null): void {
  const takeover = `${path}.takeover`;
  if (!createExclusive(takeover, String(process.pid))) {
    try {
      if (Date.now() - statSync(takeover).mtimeMs > STALE_TAKEOVER_MS) rmSync(takeover, { force: true });
    } catch {
      // It vanished meanwhile: the other takeover finished.
    }
    return;
  }
  try {
    const now = readLock(path);
    const unchanged =
      (now === null && judged === null) ||
      (now !== null && judged !== null && now.pid === judged.pid && now.start_time === judged.start_time);
    if (unchanged) rmSync(path, { force: true });
  } finally {
    rmSync(takeover, { force: true });
  }
}

/** Whether the lock at `path` still names `pid`: false once it was deleted (its directory removed) or taken over. */
export function holdsLock(path: string, pid = process.pid): boolean {
  return readLock(path)?.pid === pid;
}

function releaseLock(path: string, pid: number): void {
  if (readLock(path)?.pid === pid) rmSync(path, { force: true });
}
