/**
 * `claudemesh broker`: prints `listening on ws://HOST:PORT/ws` (the real port with --port 0), the admin
 * token only on the start that created it, and stops gracefully (exit 0) on SIGTERM and SIGINT.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/deadline.js";
import { CLI_BIN, ROOT } from "../helpers/cli.js";

const dataDir = mkdtempSync(join(tmpdir(), "cm-broker-"));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function runBroker(signal: NodeJS.Signals): Promise<{ stdout: string; code: number | null }> {
  const child = spawn(process.execPath, [CLI_BIN, "broker", "--port", "0", "--data", dataDir], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    const match = await waitUntil(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(stdout), {
      timeoutMs: 20_000,
      message: "no listening line",
    });
    const health = await fetch(`http://127.0.0.1:${match[1]}/health`);
    expect(health.status).toBe(200);
    child.kill(signal);
    return { stdout, code: await exited };
  } finally {
    child.kill("SIGKILL");
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
});
