/** The daemon: `daemon up|down|status|logs`, `daemon outbox`, `daemon outbox requeue`. */
import { createReadStream, existsSync, statSync, watchFile, unwatchFile } from "node:fs";
import type { OutboxStatus } from "../../local/daemon-api.js";
import { DaemonClient } from "../../local/daemon-client.js";
import { daemonLogTail, stopDaemon } from "../../local/lifecycle.js";
import { daemonFiles } from "../../local/paths.js";
import { defineVerb } from "../command.js";
import { usageError } from "../errors.js";
import { daemon, shortKey } from "../services.js";
import { meshParam } from "./talk.js";

/** Resolves when `signal` aborts (Ctrl-C). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

async function runningVersion(): Promise<{ pid: number; version: string } | null> {
  try {
    return await new DaemonClient({ token: null, timeoutMs: 2_000 }).version();
  } catch {
    // Not running or not answering: reported as not running.
    return null;
  }
}

const up = defineVerb({
  path: ["daemon", "up"],
  section: "The daemon",
  summary: "Start the daemon (detached; a second `up` is a no-op that says so)",
  description: "Logs go to <daemon dir>/daemon.log. --foreground runs it in this terminal until Ctrl-C.",
  flags: {
    foreground: { type: "boolean", description: "run in this process until Ctrl-C, logging to stdout" },
  },
  handlesSignals: true,
  examples: ["claudemesh daemon up", "claudemesh daemon up --foreground"],
  async handler(ctx) {
    if (ctx.flags.foreground) {
      const { runDaemon } = await import("../../daemon/index.js");
      // Runs until SIGTERM/SIGINT or `POST /v1/shutdown` (the daemon handles those signals itself).
      await runDaemon({ foreground: true });
      return;
    }
    const before = await runningVersion();
    const client = before ? null : await daemon(ctx);
    const now = before ?? (await client?.version()) ?? null;
    ctx.out.result(
      { running: true, started: before === null, pid: now?.pid ?? null, socket: daemonFiles.socket() },
      () =>
        ctx.out.line(
          before
            ? `the daemon is already running (pid ${before.pid})`
            : `started the daemon (pid ${now?.pid ?? "?"})`,
        ),
    );
  },
});

const down = defineVerb({
  path: ["daemon", "down"],
  section: "The daemon",
  summary: "Stop the daemon (its outbox is kept and drained on the next start)",
  examples: ["claudemesh daemon down"],
  async handler(ctx) {
    const result = await ctx.out.waitFor("stopping the daemon", () => stopDaemon());
    ctx.out.result({ stopped: result.wasRunning, pid: result.pid }, () =>
      ctx.out.line(
        result.wasRunning ? `stopped the daemon (pid ${result.pid ?? "?"})` : "the daemon was not running",
      ),
    );
  },
});

const status = defineVerb({
  path: ["daemon", "status"],
  section: "The daemon",
  summary: "Whether the daemon runs, its pid, version, socket, mesh connections and sessions",
  examples: ["claudemesh daemon status --json"],
  async handler(ctx) {
    const client = new DaemonClient({ token: null, timeoutMs: 3_000 });
    const version = await runningVersion();
    const health = version ? await client.health() : null;
    const meshes =
      health?.meshes.map((m) => ({
        slug: m.slug,
        connected: m.connected,
        state: m.state,
        last_error: m.last_error,
      })) ?? [];
    ctx.out.result(
      {
        running: version !== null,
        pid: version?.pid ?? null,
        version: version?.version ?? null,
        socket: daemonFiles.socket(),
        meshes,
        sessions: health?.sessions ?? 0,
      },
      () => {
        const c = ctx.out.c;
        if (!version) {
          ctx.out.line(`${c.yellow("not running")} — start it with \`claudemesh daemon up\``);
          return;
        }
        ctx.out.line(
          `${c.green("running")}  pid ${version.pid}  version ${version.version}  socket ${daemonFiles.socket()}`,
        );
        ctx.out.line(`sessions: ${health?.sessions ?? 0}`);
        ctx.out.table(
          [{ header: "MESH" }, { header: "STATE" }, { header: "LAST ERROR" }],
          meshes.map((m) => [
            m.slug,
            m.connected ? c.green(m.state) : c.yellow(m.state),
            m.last_error ?? "-",
          ]),
          "no meshes",
        );
      },
    );
  },
});

function follow(
  path: string,
  from: number,
  write: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let offset = from;
  const readMore = (): void => {
    const size = existsSync(path) ? statSync(path).size : 0;
    if (size < offset) offset = 0; // rotated or truncated
    if (size === offset) return;
    const stream = createReadStream(path, { start: offset, end: size - 1, encoding: "utf8" });
    offset = size;
    stream.on("data", (chunk) => write(String(chunk)));
  };
  watchFile(path, { interval: 250 }, readMore);
  return untilAborted(signal).finally(() => unwatchFile(path, readMore));
}

const logs = defineVerb({
  path: ["daemon", "logs"],
  section: "The daemon",
  summary: "Show the daemon log (JSON lines); -f keeps following it",
  flags: {
    follow: { type: "boolean", short: "f", description: "keep printing new lines until Ctrl-C" },
    lines: {
      type: "number",
      short: "n",
      valueName: "n",
      default: 50,
      description: "how many lines to show first",
    },
  },
  examples: ["claudemesh daemon logs -n 200", "claudemesh daemon logs -f"],
  async handler(ctx) {
    const path = daemonFiles.log();
    if (!existsSync(path)) {
      if (!ctx.flags.follow) {
        ctx.out.note(`no log yet at ${path} (the daemon has not run)`);
        return;
      }
    }
    const tail = daemonLogTail(ctx.flags.lines);
    if (tail !== "") ctx.out.raw(`${tail}\n`);
    if (ctx.flags.follow) {
      const start = existsSync(path) ? statSync(path).size : 0;
      await follow(path, start, (text) => ctx.out.raw(text), ctx.signal);
    }
  },
});

const OUTBOX_FILTERS = ["pending", "dead", "done"] as const;

const outbox = defineVerb({
  path: ["daemon", "outbox"],
  section: "The daemon",
  summary: "Inspect sends: --pending (waiting or in flight), --dead (gave up), --done",
  flags: {
    pending: { type: "boolean", description: "only sends still waiting or in flight" },
    dead: { type: "boolean", description: "only sends the daemon gave up on (requeue them)" },
    done: { type: "boolean", description: "only sends the broker acknowledged" },
  },
  mesh: true,
  examples: ["claudemesh daemon outbox --dead", "claudemesh daemon outbox requeue <id>"],
  async handler(ctx) {
    const chosen = OUTBOX_FILTERS.filter((f) => ctx.flags[f]);
    if (chosen.length > 1)
      throw usageError("--pending, --dead and --done exclude each other", "pass at most one");
    const filter: OutboxStatus | undefined = chosen[0];
    const client = await daemon(ctx, { spawn: false });
    const { items } = await client.outbox({ status: filter, mesh: meshParam(ctx) });
    ctx.out.result({ items }, () => {
      const c = ctx.out.c;
      ctx.out.table(
        [
          { header: "ID" },
          { header: "TO" },
          { header: "STATUS" },
          { header: "TRIES", align: "right" },
          { header: "BROKER ID" },
          { header: "LAST ERROR" },
          { header: "UPDATED" },
        ],
        items.map((i) => [
          i.id,
          i.to,
          i.status === "dead"
            ? c.red(i.status)
            : i.status === "done"
              ? c.green(i.status)
              : c.yellow(i.status),
          String(i.attempts),
          shortKey(i.broker_message_id),
          i.last_error ?? "-",
          i.updated_at,
        ]),
        "the outbox is empty",
      );
    });
  },
});

const requeue = defineVerb({
  path: ["daemon", "outbox", "requeue"],
  section: "The daemon",
  summary: "Send a dead outbox entry again",
  args: [{ name: "id", description: "the outbox id (as `daemon outbox` shows it)" }],
  examples: ["claudemesh daemon outbox requeue cm-3k2j…"],
  async handler(ctx) {
    const client = await daemon(ctx, { spawn: false });
    await client.requeue({ id: ctx.args.id ?? "" });
    ctx.out.result({ ok: true, id: ctx.args.id }, () => ctx.out.line(`requeued ${ctx.args.id ?? ""}`));
  },
});

export const DAEMON_VERBS = [up, down, status, logs, outbox, requeue];
