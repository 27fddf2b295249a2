/**
 * What many verbs need: the mesh parameter and a daemon client (started when absent). Nothing here loads
 * the config (whose validation loads a schema library): a warm verb asks the daemon, which knows it.
 */
import type { Context } from "./command.js";
import type { Spinner } from "./output.js";
import { CliError, ExitCode, usageError } from "./errors.js";
import type { HealthResponse } from "../daemon-api/contract.js";
import { DaemonApiError, DaemonClient } from "../daemon-api/client.js";
import { ensureDaemon } from "../daemon-api/lifecycle.js";
import { packageVersion } from "../host/version.js";
import { onCommandEnd } from "./cleanup.js";

/** `--mesh` as the daemon takes it (slug or id; the daemon refuses an unknown one, listing the joined). */
export function meshParam(ctx: Pick<Context, "mesh">): string | undefined {
  return ctx.mesh;
}

/**
 * A client of the daemon: the running one, started (with a spinner on a TTY) when it is not running; with
 * `--no-daemon`, the same daemon code run in this process for this command, on a one-shot connection to
 * the selected mesh. Verbs call it the same way either way.
 */
export async function daemon(
  ctx: Pick<Context, "out" | "noDaemon" | "mesh">,
  options: { spawn?: boolean } = {},
): Promise<DaemonClient> {
  if (ctx.noDaemon) return oneShotDaemon(ctx);
  let spinner: Spinner | undefined;
  try {
    const client = await ensureDaemon({
      spawn: options.spawn ?? true,
      onStart: (message) => {
        spinner = ctx.out.spinner(message);
      },
    });
    if (spinner) {
      spinner.update("connecting to the broker");
      await settled(client);
    }
    return client;
  } finally {
    spinner?.stop();
  }
}

/** The daemon run in this process for this command, on a one-shot connection to the selected mesh. */
export async function oneShotDaemon(ctx: Pick<Context, "out" | "mesh">): Promise<DaemonClient> {
  const { currentMesh } = await import("./mesh-config.js");
  const mesh = currentMesh(ctx);
  const { openInProcessDaemon } = await import("../daemon/index.js");
  const opened = await openInProcessDaemon({ meshId: mesh.mesh_id, version: packageVersion() });
  onCommandEnd(() => opened.close());
  const client = new DaemonClient({
    token: null,
    transport: opened.transport,
    streamTransport: opened.stream,
  });
  await settled(client, 10_000);
  return client;
}

/** A freshly started daemon is still connecting: wait (bounded) so the first command sees the mesh. */
async function settled(client: DaemonClient, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const health = await client.call("health", {});
    if (health.meshes.every((m) => m.state !== "connecting")) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Tells a running daemon to re-read the config; a daemon that is not running reads it when it starts. */
export async function reloadDaemon(): Promise<boolean> {
  try {
    const client = await ensureDaemon({ spawn: false });
    await client.call("reloadMeshes", {});
    return true;
  } catch (err) {
    if (err instanceof DaemonApiError) throw err;
    // Not running: nothing to tell.
    return false;
  }
}

/** Per-mesh connection state from a running daemon, or null when none runs (never starts one). */
export async function daemonHealth(): Promise<HealthResponse | null> {
  try {
    return await new DaemonClient({ token: null, timeoutMs: 2_000 }).call("health", {});
  } catch {
    // Not running (or not answering): the caller shows "unknown".
    return null;
  }
}

/** Resolves when `signal` aborts (Ctrl-C). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** The first 8 hex characters of a key, for tables. */
export function shortKey(key: string | null | undefined): string {
  return key ? key.slice(0, 8) : "-";
}

/**
 * Reads all of stdin as text (for `send <to> -`). Bytes that are not UTF-8 are refused (exit 2) rather than
 * silently replaced, so the recipient never gets a mangled message.
 */
export async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw usageError(
      "messages are text (UTF-8); the input on stdin is not",
      "convert it to UTF-8 text first (e.g. `iconv -t UTF-8`, or `base64` for binary data)",
      "invalid_encoding",
    );
  }
}

/**
 * `text` without the one line ending (`\n` or `\r\n`) that `echo` or a file gives piped text; anything
 * before it, other whitespace included, stays as written.
 */
export function withoutFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, "");
}

/** Fails with exit 2 unless the user confirmed (`-y`) — the CLI never prompts when stdin is not a TTY. */
export function requireYes(yes: boolean, what: string, flag = "-y"): void {
  if (!yes) {
    throw new CliError(
      "confirmation_required",
      `${what} needs confirmation`,
      `run it again with ${flag}`,
      ExitCode.usage,
    );
  }
}

/** Whether a broker URL points at this machine. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    return host === "127.0.0.1" || host === "localhost" || host === "::1" || host.startsWith("127.");
  } catch {
    return false;
  }
}
