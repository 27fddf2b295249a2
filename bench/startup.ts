/**
 * `npm run bench:startup`: start-up time of the CLI entry points Claude Code runs. Times (median of N
 * runs, wall clock from spawn): `claudemesh mcp` until its answer to `initialize` is on stdout,
 * `claudemesh hook idle` and `claudemesh hook prompt` until exit, and `claudemesh --help` until exit. Runs
 * as a throwaway user (temp HOME, config and daemon dirs) with that user's daemon running, as it is for a
 * real session; stops the daemon and deletes the temp dir at the end.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const BIN = join(ROOT, "bin", "claudemesh.js");
const RUNS = Number(process.env.STARTUP_RUNS ?? 10);

const INITIALIZE = `${JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } },
})}\n`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Milliseconds from spawn until the first stdout line (then the process is closed by ending stdin). */
function timeFirstLine(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<number> {
  return new Promise((done, fail) => {
    const start = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["pipe", "pipe", "ignore"] });
    let out = "";
    let took: number | null = null;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (took === null && out.includes("\n")) {
        took = performance.now() - start;
        child.stdin.end();
      }
    });
    child.once("error", fail);
    child.once("close", () => (took === null ? fail(new Error(`no answer: ${out}`)) : done(took)));
    child.stdin.write(input);
  });
}

/** Milliseconds from spawn until exit. */
function timeExit(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<number> {
  return new Promise((done, fail) => {
    const start = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["pipe", "ignore", "ignore"] });
    child.once("error", fail);
    child.once("close", () => done(performance.now() - start));
    child.stdin.end(input);
  });
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return timeExit(args, env, "");
}

async function measure(name: string, once: () => Promise<number>): Promise<void> {
  await once(); // warm the file cache
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) times.push(await once());
  const text = times.map((t) => t.toFixed(0)).join(" ");
  process.stdout.write(`${name.padEnd(22)} median ${median(times).toFixed(0).padStart(4)} ms   (${text})\n`);
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "claudemesh-startup-"));
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("CLAUDEMESH_"))),
    HOME: home,
    CLAUDEMESH_CONFIG_DIR: join(home, ".claudemesh"),
    CLAUDEMESH_DAEMON_DIR: join(home, ".claudemesh", "daemon"),
    NO_COLOR: "1",
  };
  const hookInput = JSON.stringify({ session_id: "bench", cwd: home, hook_event_name: "Stop" });
  try {
    await run(["daemon", "up"], env);
    await measure("mcp initialize", () => timeFirstLine(["mcp"], env, INITIALIZE));
    await measure("hook idle", () => timeExit(["hook", "idle"], env, hookInput));
    await measure("hook idle </dev/null", () => run(["hook", "idle"], env));
    await measure("hook prompt", () => timeExit(["hook", "prompt"], env, hookInput));
    await measure("--help", () => run(["--help"], env));
  } finally {
    await run(["daemon", "down"], env);
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:startup: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
