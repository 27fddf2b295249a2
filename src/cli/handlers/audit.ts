/** The audit log: `audit log|verify` through the daemon (or its one-shot form with --no-daemon). */
import type { Context } from "../command.js";
import { usageError } from "../errors.js";
import type { AUDIT_LOG_FLAGS } from "../flags/audit.js";
import { daemon, meshParam } from "../services.js";

export async function auditLog(ctx: Context<typeof AUDIT_LOG_FLAGS>): Promise<void> {
  const limit = ctx.flags.limit;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw usageError(`--limit must be a whole number from 1 to 500, not ${limit}`, "e.g. --limit 100");
  const { entries } = await (await daemon(ctx)).call("auditLog", { limit, mesh: meshParam(ctx) });
  ctx.out.result({ entries }, () => {
    ctx.out.table(
      [{ header: "SEQ" }, { header: "AT" }, { header: "ACTOR" }, { header: "ACTION" }, { header: "TARGET" }],
      entries.map((e) => [String(e.seq), e.at, e.actor_name, e.action, e.target]),
      "no audit entries",
    );
  });
}

/** Exit 1 when the chain does not verify. */
export async function auditVerify(ctx: Context): Promise<number> {
  const result = await (await daemon(ctx)).call("auditVerify", { mesh: meshParam(ctx) });
  ctx.out.result({ ...result }, () => {
    if (result.ok) ctx.out.line(`audit log intact: ${result.entries} entries, head ${result.head}`);
    else
      ctx.out.line(
        `audit log BROKEN at seq ${result.broken_at ?? "?"} (${result.entries} entries): an entry was changed or removed`,
      );
  });
  return result.ok ? 0 : 1;
}
