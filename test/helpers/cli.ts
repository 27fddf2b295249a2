/**
 * The CLI as a user runs it: `node bin/claudemesh.js …` (the built code; `npm run build` first) for a
 * user with its own temp HOME, config dir and daemon dir. `dispose()` stops that user's daemon and
 * deletes everything.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const CLI_BIN = join(ROOT, "bin", "claudemesh.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to stdin (text, or raw bytes), then stdin is closed. */
  stdin?: string | Uint8Array;
  /** Extra environment (wins over the user's). */
  env?: Record<string, string>;
  /** @default 30000 */
  timeoutMs?: number;
  /** The directory the CLI runs in. @default the repository root */
  cwd?: string;
}

/** Parses stdout as one JSON document; fails with the whole output when it is not. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}

/** Everything claudemesh reads from the environment is set here, never inherited from the test runner. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      value !== undefined &&
      !key.startsWith("CLAUDEMESH_") &&
      key !== "DATABASE_URL" &&
      key !== "FORCE_COLOR"
    ) {
      env[key] = value;
    }
  }
  return { ...env, NO_COLOR: "1" };
}

/** Runs the CLI binary once. Resolves with exit code and output; kills it at the timeout. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: RunOptions = {},
): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`claudemesh ${args.join(" ")} did not finish in time:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

export class CliUser {
  readonly root: string;
  readonly home: string;
  readonly configDir: string;
  readonly daemonDir: string;
  readonly env: Record<string, string>;

  constructor(
    readonly name: string,
    extraEnv: Record<string, string> = {},
  ) {
    this.root = mkdtempSync(join(tmpdir(), `cm-${name}-`));
    this.home = join(this.root, "home");
    this.configDir = join(this.root, "cfg");
    this.daemonDir = extraEnv.CLAUDEMESH_DAEMON_DIR ?? join(this.configDir, "daemon");
    mkdirSync(this.home, { recursive: true });
    this.env = { ...cleanEnv(), HOME: this.home, CLAUDEMESH_CONFIG_DIR: this.configDir, ...extraEnv };
  }

  run(args: readonly string[], options?: RunOptions): Promise<CliResult> {
    return runCli(args, this.env, options);
  }

  /** Runs with `--json`, expects exit 0, and parses stdout. */
  async runJson<T = Record<string, unknown>>(args: readonly string[], options?: RunOptions): Promise<T> {
    const result = await this.run([...args, "--json"], options);
    if (result.code !== 0) {
      throw new Error(
        `claudemesh ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`,
      );
    }
    return json<T>(result);
  }

  /** `mesh create <name> --json` on `broker` as this user (display name = the user's name unless given). */
  createMesh(
    broker: { url: string; adminToken: string },
    name = "team",
    displayName = this.name,
  ): Promise<Record<string, unknown>> {
    return this.runJson([
      "mesh",
      "create",
      name,
      "--broker",
      broker.url,
      "--admin-token",
      broker.adminToken,
      "--name",
      displayName,
    ]);
  }

  /** The daemon's pid from its pid file, or null. */
  daemonPid(): number | null {
    const file = join(this.daemonDir, "daemon.pid");
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  /** Stops this user's daemon (SIGKILL if it does not go) and deletes the user's files. */
  async dispose(): Promise<void> {
    const pid = this.daemonPid();
    await this.run(["daemon", "down"], { timeoutMs: 15_000 }).catch(() => undefined);
    if (pid !== null) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already stopped by `daemon down`.
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
