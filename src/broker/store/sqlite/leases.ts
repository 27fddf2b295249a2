import { decideAcquire } from "../lease-acquire.js";
import type { AcquireOutcome, LeaseRow, LeaseStore } from "../port/index.js";
import type { SqliteContext } from "./db.js";

interface LeaseDbRow {
  id: string;
  mesh_id: string;
  resource: string;
  member_id: string;
  holder_name: string;
  holder_pubkey: string;
  presence_id: string | null;
  reason: string;
  acquired_at: number;
  expires_at: number;
}

function toLease(r: LeaseDbRow): LeaseRow {
  return {
    id: r.id,
    meshId: r.mesh_id,
    resource: r.resource,
    memberId: r.member_id,
    holderName: r.holder_name,
    holderPubkey: r.holder_pubkey,
    presenceId: r.presence_id,
    reason: r.reason,
    acquiredAt: r.acquired_at,
    expiresAt: r.expires_at,
  };
}

/** Leases (protocol.md §6.9a). Acquire runs in one IMMEDIATE transaction: the check and insert are atomic. */
export function leaseMethods(ctx: SqliteContext): LeaseStore {
  const q = ctx.statements((db) => {
    // Rows whose resource is a prefix of the new one or starts with it: a superset of the overlapping.
    const candidates = db.prepare<{ mesh: string; res: string }, LeaseDbRow>(
      `SELECT * FROM leases WHERE mesh_id = @mesh
         AND (substr(@res, 1, length(resource)) = resource OR substr(resource, 1, length(@res)) = @res)
       ORDER BY acquired_at, id`,
    );
    const memberLive = db
      .prepare<[string, string, number], number>(
        "SELECT COUNT(*) FROM leases WHERE mesh_id = ? AND member_id = ? AND expires_at > ?",
      )
      .pluck();
    const del = db.prepare<[string], LeaseDbRow>("DELETE FROM leases WHERE id = ? RETURNING *");
    const insert = db.prepare(
      `INSERT INTO leases (id, mesh_id, resource, member_id, holder_name, holder_pubkey, presence_id, reason,
         acquired_at, expires_at)
       VALUES (@id, @meshId, @resource, @memberId, @holderName, @holderPubkey, @presenceId, @reason,
         @acquiredAt, @expiresAt)`,
    );
    const refresh = db.prepare<[number, string, string | null, string, string], LeaseDbRow>(
      `UPDATE leases SET expires_at = ?, reason = ?, presence_id = ?, holder_name = ? WHERE id = ? RETURNING *`,
    );
    const acquire = ctx.atomic((lease: LeaseRow, max: number, now: number): AcquireOutcome => {
      const found = candidates.all({ mesh: lease.meshId, res: lease.resource }).map(toLease);
      const live = memberLive.get(lease.meshId, lease.memberId, now) ?? 0;
      const decision = decideAcquire(lease, found, live, max, now);
      for (const e of decision.expired) del.get(e.id);
      const expired = decision.expired;
      switch (decision.kind) {
        case "held":
          return { kind: "held", lease: decision.lease, expired };
        case "limit":
          return { kind: "limit", expired };
        case "renew": {
          const row = refresh.get(
            lease.expiresAt,
            // A re-acquire without a reason keeps the one given before.
            lease.reason || decision.own.reason,
            lease.presenceId,
            lease.holderName,
            decision.own.id,
          );
          if (!row) throw new Error("lease vanished inside its transaction");
          return { kind: "granted", lease: toLease(row), renewed: true, expired };
        }
        case "insert":
          insert.run(lease);
          return { kind: "granted", lease, renewed: false, expired };
      }
    });
    return {
      acquire,
      renew: db.prepare<[number, string, string, string, number], LeaseDbRow>(
        `UPDATE leases SET expires_at = ? WHERE mesh_id = ? AND member_id = ? AND resource = ? AND expires_at > ?
         RETURNING *`,
      ),
      get: db.prepare<[string, string, number], LeaseDbRow>(
        "SELECT * FROM leases WHERE mesh_id = ? AND resource = ? AND expires_at > ?",
      ),
      del,
      list: db.prepare<{ mesh: string; now: number; prefix: string | null }, LeaseDbRow>(
        `SELECT * FROM leases WHERE mesh_id = @mesh AND expires_at > @now
           AND (@prefix IS NULL OR substr(resource, 1, length(@prefix)) = @prefix)
         ORDER BY resource`,
      ),
      ofPresence: db.prepare<[string], LeaseDbRow>("DELETE FROM leases WHERE presence_id = ? RETURNING *"),
      sweep: db.prepare<[number, number], LeaseDbRow>(
        `DELETE FROM leases WHERE id IN (SELECT id FROM leases WHERE expires_at <= ? LIMIT ?) RETURNING *`,
      ),
    };
  });

  return {
    async acquireLease(lease, maxPerMember, now) {
      return q().acquire(lease, maxPerMember, now);
    },
    async renewLease(meshId, memberId, resource, expiresAt, now) {
      const row = q().renew.get(expiresAt, meshId, memberId, resource, now);
      return row ? toLease(row) : null;
    },
    async getLease(meshId, resource, now) {
      const row = q().get.get(meshId, resource, now);
      return row ? toLease(row) : null;
    },
    async deleteLease(leaseId) {
      const row = q().del.get(leaseId);
      return row ? toLease(row) : null;
    },
    async listLeases(meshId, prefix, now) {
      return q().list.all({ mesh: meshId, now, prefix }).map(toLease);
    },
    async releasePresenceLeases(presenceId) {
      return q().ofPresence.all(presenceId).map(toLease);
    },
    async sweepExpiredLeases(now, limit) {
      return q().sweep.all(now, limit).map(toLease);
    },
  };
}
