import { decideAcquire } from "../lease-acquire.js";
import type { AcquireOutcome, LeaseRow, LeaseStore } from "../port/index.js";
import type { PgContext } from "./db.js";

const COLUMNS = `id, mesh_id, resource, member_id, holder_name, holder_pubkey, presence_id, reason, acquired_at,
  expires_at`;

/** Leases (protocol.md §6.9a). */
export function leaseMethods(ctx: PgContext): LeaseStore {
  return {
    async acquireLease(lease, maxPerMember, now) {
      return ctx.run(true, async (db): Promise<AcquireOutcome> => {
        // Overlap is a prefix relation no unique index can state, so acquirers of one mesh take turns on
        // a transaction-scoped advisory lock: the check and the insert are one step on every node.
        await db`SELECT pg_advisory_xact_lock(hashtextextended(${`leases:${lease.meshId}`}, 0))`;
        const found = await db<LeaseRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM leases WHERE mesh_id = ${lease.meshId}
            AND (left(${lease.resource}, length(resource)) = resource
                 OR left(resource, length(${lease.resource})) = ${lease.resource})
          ORDER BY acquired_at, id`;
        const [count] = await db<Array<{ n: number }>>`
          SELECT COUNT(*)::bigint AS n FROM leases
          WHERE mesh_id = ${lease.meshId} AND member_id = ${lease.memberId} AND expires_at > ${now}`;
        const decision = decideAcquire(lease, found, count?.n ?? 0, maxPerMember, now);
        const expired = decision.expired;
        if (expired.length > 0)
          await db`DELETE FROM leases WHERE id = ANY(${expired.map((e) => e.id)}::text[])`;
        switch (decision.kind) {
          case "held":
            return { kind: "held", lease: decision.lease, expired };
          case "limit":
            return { kind: "limit", expired };
          case "renew": {
            const [row] = await db<LeaseRow[]>`
              UPDATE leases SET expires_at = ${lease.expiresAt}, reason = ${lease.reason || decision.own.reason},
                presence_id = ${lease.presenceId}, holder_name = ${lease.holderName}
              WHERE id = ${decision.own.id} RETURNING ${db.unsafe(COLUMNS)}`;
            if (!row) throw new Error("lease vanished inside its transaction");
            return { kind: "granted", lease: row, renewed: true, expired };
          }
          case "insert":
            await db`
              INSERT INTO leases (id, mesh_id, resource, member_id, holder_name, holder_pubkey, presence_id,
                reason, acquired_at, expires_at)
              VALUES (${lease.id}, ${lease.meshId}, ${lease.resource}, ${lease.memberId}, ${lease.holderName},
                ${lease.holderPubkey}, ${lease.presenceId}, ${lease.reason}, ${lease.acquiredAt},
                ${lease.expiresAt})`;
            return { kind: "granted", lease, renewed: false, expired };
        }
      });
    },
    async renewLease(meshId, memberId, resource, expiresAt, now) {
      const [row] = await ctx.run(
        false,
        (db) => db<LeaseRow[]>`
          UPDATE leases SET expires_at = ${expiresAt}
          WHERE mesh_id = ${meshId} AND member_id = ${memberId} AND resource = ${resource} AND expires_at > ${now}
          RETURNING ${db.unsafe(COLUMNS)}`,
      );
      return row ?? null;
    },
    async getLease(meshId, resource, now) {
      const [row] = await ctx.run(
        false,
        (db) => db<LeaseRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM leases
          WHERE mesh_id = ${meshId} AND resource = ${resource} AND expires_at > ${now}`,
      );
      return row ?? null;
    },
    async deleteLease(leaseId) {
      const [row] = await ctx.run(
        false,
        (db) => db<LeaseRow[]>`DELETE FROM leases WHERE id = ${leaseId} RETURNING ${db.unsafe(COLUMNS)}`,
      );
      return row ?? null;
    },
    async listLeases(meshId, prefix, now) {
      return ctx.run(
        false,
        (db) => db<LeaseRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM leases
          WHERE mesh_id = ${meshId} AND expires_at > ${now}
            AND (${prefix}::text IS NULL OR left(resource, length(${prefix}::text)) = ${prefix}::text)
          ORDER BY resource COLLATE "C"`,
      );
    },
    async releasePresenceLeases(presenceId) {
      return ctx.run(
        false,
        (db) => db<LeaseRow[]>`
          DELETE FROM leases WHERE presence_id = ${presenceId} RETURNING ${db.unsafe(COLUMNS)}`,
      );
    },
    async sweepExpiredLeases(now, limit) {
      return ctx.run(
        false,
        (db) => db<LeaseRow[]>`
          DELETE FROM leases WHERE id IN (
            SELECT id FROM leases WHERE expires_at <= ${now} LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          RETURNING ${db.unsafe(COLUMNS)}`,
      );
    },
  };
}
