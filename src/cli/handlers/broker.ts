/** `claudemesh broker`: runs a broker in this process until Ctrl-C / SIGTERM. */
import { defaultBrokerDataDir } from "../../host/paths.js";
import type { Context } from "../command.js";
import type { BROKER_FLAGS } from "../flags/broker.js";
import { usageError } from "../errors.js";
import { untilAborted } from "../services.js";

/** `60`, `60/min` → 60; `50/s` → 50 for a per-second flag. */
function rate(flag: string, text: string | undefined, unit: "min" | "s"): number | undefined {
  if (text === undefined) return undefined;
  const match = new RegExp(`^(\\d+)(?:/${unit})?$`).exec(text.trim());
  if (!match)
    throw usageError(
      `--${flag} "${text}" is not a rate`,
      `use a whole number, e.g. --${flag} 60/${unit} (0 lifts the limit)`,
    );
  return Number(match[1]);
}

/** A timer flag: a positive number of milliseconds, or absent (the protocol's value). */
function timerMs(flag: string, value: number | undefined): number | undefined {
  if (value === undefined || value > 0) return value;
  throw usageError(`--${flag} must be a positive number of milliseconds`, `omit it for the protocol's value`);
}

function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** A data dir the broker refused is bad input (exit 2), with the broker's message and hint. */
function dataDirUsageError(err: unknown): Error | null {
  if (!(err instanceof Error) || !("code" in err) || !("hint" in err)) return null;
  const { code, hint } = err;
  if ((code !== "data_dir_unusable" && code !== "data_dir_unsafe") || typeof hint !== "string") return null;
  return usageError(err.message, hint, code);
}

export async function serveBroker(ctx: Context<typeof BROKER_FLAGS>): Promise<void> {
  const { runBroker } = await import("../../broker/index.js");
  // The broker creates the data dir itself (0700, parent required) and checks an existing one.
  const dataDir = ctx.flags.data ?? defaultBrokerDataDir();
  const basePath = ctx.flags.basePath;
  const broker = await runBroker({
    host: ctx.flags.host,
    port: ctx.flags.port,
    dataDir,
    databaseUrl: ctx.flags.databaseUrl ?? (ctx.env.DATABASE_URL || undefined),
    publicUrl: ctx.flags.publicUrl,
    basePath,
    maxPeersPerMesh: ctx.flags.maxPeersPerMesh,
    sendRatePerMin: rate("send-rate", ctx.flags.sendRate, "min"),
    sendBurst: ctx.flags.sendBurst,
    frameRatePerSec: rate("frame-rate", ctx.flags.frameRate, "s"),
    fileQuotaBytes: ctx.flags.fileQuota,
    rowQuota: ctx.flags.rowQuota,
    claimLeaseMs: timerMs("claim-lease-ms", ctx.flags.claimLeaseMs),
    helloTimeoutMs: timerMs("hello-timeout-ms", ctx.flags.helloTimeoutMs),
    workingSweepMs: timerMs("working-sweep-ms", ctx.flags.workingSweepMs),
    workingTimeoutMs: timerMs("working-timeout-ms", ctx.flags.workingTimeoutMs),
    hookWorkingTimeoutMs: timerMs("hook-working-timeout-ms", ctx.flags.hookWorkingTimeoutMs),
    presenceTickMs: timerMs("presence-tick-ms", ctx.flags.presenceTickMs),
    heartbeatMs: timerMs("heartbeat-ms", ctx.flags.heartbeatMs),
    presenceExpiryMs: timerMs("presence-expiry-ms", ctx.flags.presenceExpiryMs),
    fileRetentionMs: timerMs("file-retention-ms", ctx.flags.fileRetentionMs),
    retentionSweepMs: timerMs("retention-sweep-ms", ctx.flags.retentionSweepMs),
    schedulePollMs: timerMs("schedule-poll-ms", ctx.flags.schedulePollMs),
    scheduleClockOffsetMs: ctx.flags.scheduleClockOffsetMs,
  }).catch((err: unknown) => {
    throw dataDirUsageError(err) ?? err;
  });
  for (const warning of broker.warnings) ctx.out.warn(warning);
  const url = `ws://${urlHost(ctx.flags.host)}:${broker.port}${(basePath ?? "").replace(/\/+$/, "")}/ws`;
  if (ctx.json) {
    ctx.out.data({
      url,
      port: broker.port,
      data_dir: dataDir,
      admin_token: broker.adminTokenCreated && ctx.flags.printAdminToken ? broker.adminToken : null,
    });
  } else {
    ctx.out.line(`listening on ${url}`);
    if (broker.adminTokenCreated && ctx.flags.printAdminToken) {
      ctx.out.line(`admin token (shown once; stored 0600 in ${dataDir}/admin-token): ${broker.adminToken}`);
    } else if (broker.adminTokenCreated) {
      ctx.out.line(`admin token: made, stored 0600 in ${dataDir}/admin-token`);
    } else if (broker.adminToken === null) {
      ctx.out.line("admin token: the one this database was first given (by the node that started first)");
    }
  }
  await untilAborted(ctx.signal);
  await broker.close();
}
