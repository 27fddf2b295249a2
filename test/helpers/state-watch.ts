/** `claudemesh state watch --json` run in the background as a user: its lines, once it is watching. */
import { spawn, type ChildProcess } from "node:child_process";
import { waitUntil } from "./deadline.js";
import { CLI_BIN, ROOT, type CliUser } from "./cli.js";

export interface Watcher {
  /** The JSON lines printed so far. */
  lines(): Array<Record<string, unknown>>;
  /** The first line whose key is `key` (and, when given, whose value is `value`), waiting for it. */
  next(key: string, value?: unknown): Promise<Record<string, unknown>>;
  /** Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function watchState(user: CliUser, extra: readonly string[] = []): Promise<Watcher> {
  const child: ChildProcess = spawn(process.execPath, [CLI_BIN, "state", "watch", ...extra, "--json"], {
    cwd: ROOT,
    env: user.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines = () =>
    stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  try {
    await waitUntil(() => stderr.includes("watching") || undefined, {
      timeoutMs: 20_000,
      message: `state watch did not start: ${stderr}`,
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    lines,
    next: (key, value) =>
      waitUntil(
        () =>
          lines().find(
            (l) =>
              l.key === key && (value === undefined || JSON.stringify(l.value) === JSON.stringify(value)),
          ),
        { timeoutMs: 15_000, message: `no state_change for ${key}: ${stdout} ${stderr}` },
      ),
    async stop() {
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Every plaintext in `needles` found in `haystack`. */
export function leaked(haystack: string | Buffer, needles: readonly string[]): string[] {
  const text = typeof haystack === "string" ? haystack : haystack.toString("latin1");
  return needles.filter((n) => text.includes(n));
}
