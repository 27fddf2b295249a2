import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock } from "../../src/daemon/lock.js";
import { pidAlive, processStartTime, sameProcessAlive } from "../../src/host/process-info.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cm-lock-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A pid that is not running: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.on("exit", r));
  return child.pid!;
}

describe("daemon lock", () => {
  it("is exclusive while its owner lives, and released on release()", async () => {
    const path = join(dir, "daemon.lock");
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      const held = acquireLock(path, sleeper.pid!);
      expect(held.acquired).toBe(true);
      expect(acquireLock(path)).toEqual({ acquired: false, pid: sleeper.pid });
      if (held.acquired) held.release();
      expect(existsSync(path)).toBe(false);
      const mine = acquireLock(path);
      expect(mine.acquired).toBe(true);
      if (mine.acquired) mine.release();
    } finally {
      sleeper.kill();
    }
  });

  it("takes over a lock whose owner died (kill -9 leaves the file behind)", async () => {
    const path = join(dir, "daemon.lock");
    writeFileSync(path, JSON.stringify({ pid: await deadPid(), start_time: null }));
    const result = acquireLock(path);
    expect(result.acquired).toBe(true);
    expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid);
  });

  it("takes over a lock whose pid was reused by another program", () => {
    const path = join(dir, "daemon.lock");
    writeFileSync(path, JSON.stringify({ pid: process.ppid, start_time: "1" }));
    const result = acquireLock(path);
    // On Linux the start time differs, so the lock is stale; elsewhere pid liveness alone decides.
    expect(result.acquired).toBe(process.platform === "linux");
  });

  it("treats a garbage lock file as stale", () => {
    const path = join(dir, "daemon.lock");
    writeFileSync(path, "not json");
    expect(acquireLock(path).acquired).toBe(true);
  });
});

describe("process info", () => {
  it("tells live processes from gone ones and notices pid reuse", async () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(await deadPid())).toBe(false);
    const start = processStartTime(process.pid);
    if (process.platform === "linux") expect(start).toMatch(/^\d+$/);
    expect(sameProcessAlive(process.pid, start)).toBe(true);
    if (start !== null) expect(sameProcessAlive(process.pid, `${start}9`)).toBe(false);
  });
});
