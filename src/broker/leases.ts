/**
 * Lease lifecycle outside requests (protocol.md §6.9a): leases a session took end when it leaves for
 * good, and expired leases (already invisible to every reader) are swept once cluster-wide, each with a
 * `lease_change` push.
 */
import { auditEntry, BROKER_ACTOR, withAudit, type AuditActor } from "./audit.js";
import type { BrokerContext } from "./context.js";
import { publishMeshPush } from "./mesh-push.js";
import type { AuditAction } from "../protocol/index.js";
import type { LeaseRow, NewAuditEntry } from "./store/port/index.js";

/** How often expired leases are swept. Readers never see them meanwhile. */
const SWEEP_INTERVAL_MS = 30_000;
const SWEEP_BATCH = 500;

export function announceLeases(
  ctx: BrokerContext,
  rows: readonly LeaseRow[],
  action: "acquired" | "released" | "expired",
): void {
  for (const row of rows) {
    publishMeshPush(ctx, {
      meshId: row.meshId,
      event: "lease_change",
      data: { resource: row.resource, action, holderName: row.holderName },
    });
  }
}

/** Audit entries for leases that ended (protocol.md §6.9b), one per lease. */
export function leaseAudit(
  rows: readonly LeaseRow[],
  action: Extract<AuditAction, "lease.released" | "lease.expired">,
  actor: (row: LeaseRow) => AuditActor,
): NewAuditEntry[] {
  return rows.map((row) => auditEntry(row.meshId, actor(row), action, row.resource));
}

const holder = (row: LeaseRow): AuditActor => ({ actorPubkey: row.holderPubkey, actorName: row.holderName });

/** Ends the leases a session presence took; called when it is evicted (`bye` or grace expiry). */
export async function releaseSessionLeases(ctx: BrokerContext, presenceId: string): Promise<void> {
  const released = await withAudit(
    ctx,
    () => ctx.store.releasePresenceLeases(presenceId),
    (rows) => leaseAudit(rows, "lease.released", holder),
  );
  announceLeases(ctx, released, "released");
}

/** Starts the sweep; returns its stop function. */
export function startLeaseSweep(ctx: BrokerContext): () => void {
  const sweep = async (): Promise<void> => {
    try {
      await ctx.cluster.exclusive("lease-sweep", async () => {
        const expired = await withAudit(
          ctx,
          () => ctx.store.sweepExpiredLeases(Date.now(), SWEEP_BATCH),
          (rows) => leaseAudit(rows, "lease.expired", () => BROKER_ACTOR),
        );
        announceLeases(ctx, expired, "expired");
      });
    } catch (err) {
      ctx.storeHealth.reportBackground(err, "lease sweep failed");
    }
  };
  const timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS).unref();
  return () => clearInterval(timer);
}
