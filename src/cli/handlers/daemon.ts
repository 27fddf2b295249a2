/** The daemon: `daemon up|down|status|logs`, `daemon outbox`, `daemon outbox requeue`. */
import { createReadStream, existsSync, statSync, watchFile, unwatchFile } from "node:fs";
import type { OutboxStatus } from "../../daemon-api/contract.js";
import { DaemonClient } from "../../daemon-api/client.js";
import { daemonLogTail, stopDaemon } from "../../daemon-api/lifecycle.js";
import { daemonFiles } from "../../host/paths.js";
import type { Context } from "../command.js";
import type { LOGS_FLAGS, OUTBOX_FLAGS, DAEMON_UP_FLAGS } from "../flags/daemon.js";
import { usageError } from "../errors.js";
import { daemon, meshParam, shortKey, untilAborted } from "../services.js";

async function runningVersion(): Promise<{ pid: number; version: string } | null> {
  try {
    return await new DaemonClient({ token: null, timeoutMs: 2_000 }).call("version", {});
  } catch {
    // Not running or not answering: reported as not running.
    return null;
  }
}

export async function daemonUp(ctx: Context<typeof DAEMON_UP_FLAGS>): Promise<void> {
  if (ctx.flags.foreground) {
    const { runDaemon } = await import("../../daemon/index.js");
    // Runs until SIGTERM/SIGINT or `shutdown` (the daemon handles those signals itself).
    await runDaemon({ foreground: true });
    return;
  }
  const before = await runningVersion();
  const client = await daemon(ctx);
  // A running daemon re-reads its config and reconnects what waits or was refused (after an unban).
  if (before) await client.call("reloadMeshes", {});
  const now = before ?? (await client.call("version", {}));
  ctx.out.result(
    { running: true, started: before === null, pid: now?.pid ?? null, socket: daemonFiles.socket() },
    () =>
      ctx.out.line(
        before
          ? `the daemon is already running (pid ${before.pid})`
          : `started the daemon (pid ${now?.pid ?? "?"})`,
      ),
  );
}

export async function daemonDown(ctx: Context): Promise<void> {
  const result = await ctx.out.waitFor("stopping the daemon", () => stopDaemon());
  ctx.out.result({ stopped: result.wasRunning, pid: result.pid }, () =>
    ctx.out.line(
      result.wasRunning ? `stopped the daemon (pid ${result.pid ?? "?"})` : "the daemon was not running",
    ),
  );
}

export async function daemonStatus(ctx: Context): Promise<void> {
  const client = new DaemonClient({ token: null, timeoutMs: 3_000 });
  const version = await runningVersion();
  const health = version ? await client.call("health", {}) : null;
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
        meshes.map((m) => [m.slug, m.connected ? c.green(m.state) : c.yellow(m.state), m.last_error ?? "-"]),
        "no meshes",
      );
    },
  );
}

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

export async function daemonLogs(ctx: Context<typeof LOGS_FLAGS>): Promise<void> {
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
}

const OUTBOX_FILTERS = ["pending", "dead", "done"] as const;

export async function outbox(ctx: Context<typeof OUTBOX_FLAGS>): Promise<void> {
  const chosen = OUTBOX_FILTERS.filter((f) => ctx.flags[f]);
  if (chosen.length > 1)
    throw usageError("--pending, --dead and --done exclude each other", "pass at most one");
  const filter: OutboxStatus | undefined = chosen[0];
  const client = await daemon(ctx, { spawn: false });
  const { items } = await client.call("outbox", { status: filter, mesh: meshParam(ctx) });
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
        i.status === "dead" ? c.red(i.status) : i.status === "done" ? c.green(i.status) : c.yellow(i.status),
        String(i.attempts),
        shortKey(i.broker_message_id),
        i.last_error ?? "-",
        i.updated_at,
      ]),
      "the outbox is empty",
    );
  });
}

export async function requeue(ctx: Context): Promise<void> {
  const client = await daemon(ctx, { spawn: false });
  await client.call("requeue", { id: ctx.args.id ?? "" });
  ctx.out.result({ ok: true, id: ctx.args.id }, () => ctx.out.line(`requeued ${ctx.args.id ?? ""}`));
}
