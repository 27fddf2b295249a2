/**
 * Leases: `lease acquire|renew|release|list|check`. Paths become resources here (src/host/lease-resource.ts),
 * where the repository is known; the daemon and the broker only see resources.
 */
import { LEASE_TTL_MAX_MS, LEASE_TTL_MIN_MS } from "../../protocol/index.js";
import { ResourceError, leaseResource, repoInfo } from "../../host/lease-resource.js";
import type { Context } from "../command.js";
import { usageError } from "../errors.js";
import type { LEASE_ACQUIRE_FLAGS, LEASE_RENEW_FLAGS } from "../flags/leases.js";
import { daemon, meshParam } from "../services.js";

function resourcesOf(args: readonly string[]): Array<{ path: string; resource: string }> {
  const cwd = process.cwd();
  const repo = repoInfo(cwd);
  try {
    return args.map((path) => ({ path, resource: leaseResource(path, cwd, repo) }));
  } catch (error) {
    if (error instanceof ResourceError) throw usageError(error.message, error.hint, error.code);
    throw error;
  }
}

function oneResource(ctx: Context): string {
  const arg = (ctx.args.resource ?? "").trim();
  if (arg === "") throw usageError("no resource given", "pass a path, a glob or branch:<name>");
  const [first] = resourcesOf([arg]);
  if (!first) throw usageError("no resource given", "pass a path, a glob or branch:<name>");
  return first.resource;
}

function ttl(ms: number): number {
  if (ms < LEASE_TTL_MIN_MS || ms > LEASE_TTL_MAX_MS) {
    throw usageError(
      `--ttl must be between 1m and 24h (got ${Math.round(ms / 1000)}s)`,
      "pass e.g. --ttl 30m or --ttl 2h",
      "invalid_ttl",
    );
  }
  return ms;
}

export async function leaseAcquire(ctx: Context<typeof LEASE_ACQUIRE_FLAGS>): Promise<void> {
  const resource = oneResource(ctx);
  const ttlMs = ttl(ctx.flags.ttl);
  const grant = await (
    await daemon(ctx)
  ).call("acquireLease", {
    resource,
    ttl_ms: ttlMs,
    reason: ctx.flags.reason,
    mesh: meshParam(ctx),
  });
  ctx.out.result({ ...grant }, () => ctx.out.line(`leased ${grant.resource} until ${grant.expires_at}`));
}

export async function leaseRenew(ctx: Context<typeof LEASE_RENEW_FLAGS>): Promise<void> {
  const resource = oneResource(ctx);
  const grant = await (
    await daemon(ctx)
  ).call("renewLease", {
    resource,
    ttl_ms: ttl(ctx.flags.ttl),
    mesh: meshParam(ctx),
  });
  ctx.out.result({ ...grant }, () => ctx.out.line(`renewed ${grant.resource} until ${grant.expires_at}`));
}

export async function leaseRelease(ctx: Context): Promise<void> {
  const resource = oneResource(ctx);
  const reply = await (await daemon(ctx)).call("releaseLease", { resource, mesh: meshParam(ctx) });
  ctx.out.result({ ...reply }, () =>
    ctx.out.line(reply.released ? `released ${reply.resource}` : `no lease on ${reply.resource}`),
  );
}

export async function leaseList(ctx: Context): Promise<void> {
  const { leases } = await (await daemon(ctx)).call("listLeases", { mesh: meshParam(ctx) });
  ctx.out.result({ leases }, () =>
    ctx.out.table(
      [{ header: "RESOURCE" }, { header: "HOLDER" }, { header: "EXPIRES" }, { header: "REASON" }],
      leases.map((l) => [l.resource, l.holder_name, l.expires_at, l.reason]),
      "no leases",
    ),
  );
}

/** Exit 1 when any path is under another member's lease: usable as a git pre-commit hook. */
export async function leaseCheck(ctx: Context): Promise<number> {
  const args = ctx.argv.filter((a) => a.trim() !== "");
  if (args.length === 0) throw usageError("no paths given", "pass the files to check, e.g. src/a.ts");
  const { conflicts } = await (
    await daemon(ctx)
  ).call("checkLeases", {
    paths: resourcesOf(args),
    mesh: meshParam(ctx),
  });
  ctx.out.result({ conflicts }, () => {
    if (conflicts.length === 0) ctx.out.line("no conflicts");
    for (const c of conflicts) {
      ctx.out.line(`${c.path}: leased by ${c.holder_name} as ${c.resource} until ${c.expires_at}`);
    }
  });
  return conflicts.length > 0 ? 1 : 0;
}
