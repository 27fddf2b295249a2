/**
 * `claudemesh broker`: prints `listening on ws://HOST:PORT/ws` (the real port with --port 0), the admin
 * token only on the start that created it, and stops gracefully (exit 0) on SIGTERM and SIGINT. Its data
 * dir is private by construction (0700, files 0600 whatever the umask); a dir others may write to is
 * refused, one they may read is used with a warning; a `--data` it cannot use is a one-line error naming
 * the path and the cause (exit 2).
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/deadline.js";
import { CLI_BIN, ROOT, runCli } from "../helpers/cli.js";

const root = mkdtempSync(join(tmpdir(), "cm-broker-"));
const dataDir = join(root, "data");
const mounts: string[] = [];
const env: Record<string, string> = { NO_COLOR: "1" };
for (const [key, value] of Object.entries(process.env)) {
  if (value !== undefined && !key.startsWith("CLAUDEMESH_")) env[key] ??= value;
}

afterAll(() => {
  for (const mount of mounts) execFileSync("umount", ["-l", mount]);
  rmSync(root, { recursive: true, force: true });
});

interface BrokerRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs `claudemesh broker` on `dir` (under `umask` when given) until it listens, calls `whileRunning`,
 * then stops it with `signal`.
 */
async function runBroker(
  signal: NodeJS.Signals,
  options: {
    dir?: string;
    umask?: string;
    /** More `broker` flags. */
    flags?: string[];
    whileRunning?: (port: number) => Promise<void>;
  } = {},
): Promise<BrokerRun> {
  const args = [CLI_BIN, "broker", "--port", "0", "--data", options.dir ?? dataDir, ...(options.flags ?? [])];
  const child =
    options.umask === undefined
      ? spawn(process.execPath, args, {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"],
        })
      : spawn("sh", ["-c", `umask ${options.umask} && exec "$0" "$@"`, process.execPath, ...args], {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"],
        });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    const match = await waitUntil(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(stdout), {
      timeoutMs: 20_000,
      message: "no listening line",
    });
    const health = await fetch(`http://127.0.0.1:${match[1]}/health`);
    expect(health.status).toBe(200);
    await options.whileRunning?.(Number(match[1]));
    child.kill(signal);
    return { stdout, stderr, code: await exited };
  } finally {
    child.kill("SIGKILL");
  }
}

function mode(path: string): number {
  return statSync(path).mode & 0o7777;
}

/** `claudemesh broker --data <dir>` expected to refuse to start. */
async function refused(dir: string): Promise<string> {
  const result = await runCli(["broker", "--port", "0", "--data", dir], env);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(dir);
  expect(lines[0]).not.toMatch(/unable to open database file|\bat \S+:\d+|ENOENT.*mkdir/);
  return lines[0]!;
}

/** Mounts a small tmpfs (root only); null with the reason printed where that is not possible. */
function tryMount(dir: string, options: string): string | null {
  mkdirSync(dir, { mode: 0o700 });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "pipe" });
    mounts.push(dir);
    return dir;
  } catch (err) {
    console.warn(`skipping the read-only --data case: cannot mount a tmpfs (${String(err).split("\n")[0]})`);
    return null;
  }
}

describe("claudemesh broker", () => {
  it("prints the admin token once, stores it 0600, and stops cleanly", async () => {
    const first = await runBroker("SIGTERM");
    expect(first.code).toBe(0);
    const token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
    expect(token.length).toBeGreaterThan(20);
    expect(first.stdout).toContain(
      `admin token (shown once; stored 0600 in ${dataDir}/admin-token): ${token}`,
    );
    expect(statSync(join(dataDir, "admin-token")).mode & 0o777).toBe(0o600);

    const second = await runBroker("SIGINT");
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain("admin token");
    expect(second.stdout).not.toContain(token);
  }, 60_000);

  it("with --no-print-admin-token, names the file that holds a new token and never prints it", async () => {
    const dir = join(root, "quiet");
    const run = await runBroker("SIGTERM", { dir, flags: ["--no-print-admin-token"] });
    expect(run.code).toBe(0);
    const token = readFileSync(join(dir, "admin-token"), "utf8").trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(run.stdout).toContain(`admin token: made, stored 0600 in ${dir}/admin-token`);
    expect(run.stdout + run.stderr).not.toContain(token);
  }, 60_000);
});

describe("claudemesh broker --data", () => {
  it("creates the data dir 0700 and every file in it 0600, even under umask 000", async () => {
    const dir = join(root, "umask");
    const seen: Record<string, number> = {};
    const run = await runBroker("SIGTERM", {
      dir,
      umask: "000",
      whileRunning: async () => {
        for (const name of ["broker.db", "broker.db-wal", "broker.db-shm", "admin-token", "node-id"])
          seen[name] = mode(join(dir, name));
      },
    });
    expect(run.code).toBe(0);
    expect(mode(dir)).toBe(0o700);
    expect(seen).toEqual({
      "broker.db": 0o600,
      "broker.db-wal": 0o600,
      "broker.db-shm": 0o600,
      "admin-token": 0o600,
      "node-id": 0o600,
    });
  }, 60_000);

  it.each([
    ["world-writable", 0o1777, "writable by everyone (mode 1777)"],
    ["group-writable", 0o775, "writable by its group (mode 0775)"],
  ])("refuses a %s directory with what to do, and leaves it alone", async (name, dirMode, why) => {
    const dir = join(root, name);
    mkdirSync(dir);
    chmodSync(dir, dirMode);
    const line = await refused(dir);
    expect(line).toContain(why);
    expect(line).toContain(`chmod 700 ${dir}`);
    expect(mode(dir)).toBe(dirMode);
    expect(() => statSync(join(dir, "broker.db"))).toThrow();
  });

  it("uses a directory others may read, warns how to fix it, and tightens nothing", async () => {
    const dir = join(root, "readable");
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const run = await runBroker("SIGTERM", { dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`warning: data dir ${dir} is readable by everyone (mode 0755)`);
    expect(run.stderr).toContain(`chmod 700 ${dir}`);
    expect(mode(dir)).toBe(0o755);
    expect(mode(join(dir, "broker.db"))).toBe(0o600);
  }, 60_000);

  it("names the path and the cause when the parent is missing", async () => {
    const dir = join(root, "no-such-parent", "data");
    expect(await refused(dir)).toContain(`its parent ${join(root, "no-such-parent")} does not exist`);
  });

  it("names the path and the cause when it is a file, or under one", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "");
    expect(await refused(file)).toContain("is not a directory");
    expect(await refused(join(file, "data"))).toContain("is a file, not a directory");
  });

  it("names the path and the cause when the database cannot be opened", async () => {
    const dir = join(root, "db-is-a-dir");
    mkdirSync(dir, { mode: 0o700 });
    mkdirSync(join(dir, "broker.db"));
    expect(await refused(dir)).toContain(`cannot open database ${join(dir, "broker.db")}`);
  });

  it("names the path and the cause on a read-only file system", async () => {
    const mount = tryMount(join(root, "ro"), "ro,mode=0700,size=1m");
    if (mount === null) return;
    expect(await refused(mount)).toContain("not writable: read-only file system");
    expect(await refused(join(mount, "data"))).toContain("read-only file system");
  });
});
