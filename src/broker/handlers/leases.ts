/** leases (protocol.md §6.9a): acquire (atomic across nodes), renew, release, list; `lease_change` pushes. */
import { randomMessageId } from "../../crypto/index.js";
import { ErrorCode, LEASES_PER_MEMBER, type LeaseEntry } from "../../protocol/index.js";
import { auditEntry, BROKER_ACTOR, withAudit } from "../audit.js";
import { announceLeases, leaseAudit } from "../leases.js";
import type { LeaseRow } from "../store/port/index.js";
import type { HandlerTable } from "./types.js";

type LeaseHandlers = Pick<HandlerTable, "lease_acquire" | "lease_renew" | "lease_release" | "lease_list">;

const iso = (ms: number): string => new Date(ms).toISOString();

function granted(l: LeaseRow) {
  return {
    type: "lease_granted" as const,
    resource: l.resource,
    leaseId: l.id,
    holderName: l.holderName,
    holderPubkey: l.holderPubkey,
    expiresAt: iso(l.expiresAt),
  };
}

function toEntry(l: LeaseRow): LeaseEntry {
  return {
    leaseId: l.id,
    resource: l.resource,
    holderName: l.holderName,
    holderPubkey: l.holderPubkey,
    reason: l.reason,
    acquiredAt: iso(l.acquiredAt),
    expiresAt: iso(l.expiresAt),
  };
}

export const leaseHandlers: LeaseHandlers = {
  async lease_acquire({ ctx, conn, presence }, frame) {
    const now = Date.now();
    const lease: LeaseRow = {
      id: randomMessageId(),
      meshId: presence.meshId,
      resource: frame.resource,
      memberId: presence.memberId,
      holderName: presence.displayName,
      holderPubkey: presence.memberPubkey,
      // A lease taken by a session ends with it; a member connection's lasts its TTL.
      presenceId: presence.peerRole === "session" ? presence.id : null,
      reason: frame.reason ?? "",
      acquiredAt: now,
      expiresAt: now + frame.ttlMs,
    };
    const outcome = await withAudit(
      ctx,
      () => ctx.store.acquireLease(lease, LEASES_PER_MEMBER, now),
      (o) => [
        ...leaseAudit(o.expired, "lease.expired", () => BROKER_ACTOR),
        ...(o.kind === "granted" && !o.renewed
          ? [
              auditEntry(
                lease.meshId,
                { actorPubkey: presence.memberPubkey, actorName: presence.displayName },
                "lease.acquired",
                lease.resource,
              ),
            ]
          : []),
      ],
    );
    announceLeases(ctx, outcome.expired, "expired");
    if (outcome.kind === "held") {
      const held = outcome.lease;
      conn.error(
        frame,
        ErrorCode.leaseHeld,
        `${held.resource} is leased by ${held.holderName} until ${iso(held.expiresAt)}`,
        {
          resource: held.resource,
          holderName: held.holderName,
          holderPubkey: held.holderPubkey,
          expiresAt: iso(held.expiresAt),
        },
      );
      return;
    }
    if (outcome.kind === "limit") {
      conn.error(
        frame,
        ErrorCode.limit,
        `you hold ${LEASES_PER_MEMBER} live leases already; release some first`,
      );
      return;
    }
    conn.reply(frame, granted(outcome.lease));
    if (!outcome.renewed) announceLeases(ctx, [outcome.lease], "acquired");
  },

  async lease_renew({ ctx, conn, presence }, frame) {
    const now = Date.now();
    const lease = await ctx.store.renewLease(
      presence.meshId,
      presence.memberId,
      frame.resource,
      now + frame.ttlMs,
      now,
    );
    if (!lease) {
      conn.error(frame, ErrorCode.notFound, `you hold no live lease on ${frame.resource}`);
      return;
    }
    conn.reply(frame, granted(lease));
  },

  async lease_release({ ctx, conn, presence }, frame) {
    const lease = await ctx.store.getLease(presence.meshId, frame.resource, Date.now());
    if (!lease) {
      conn.reply(frame, { type: "lease_released", resource: frame.resource, released: false });
      return;
    }
    const admin = presence.memberRole === "owner" || presence.memberRole === "admin";
    if (lease.memberId !== presence.memberId && !admin) {
      conn.error(
        frame,
        ErrorCode.forbidden,
        `${lease.resource} is leased by ${lease.holderName}: only the holder or an admin may release it`,
      );
      return;
    }
    const deleted = await withAudit(
      ctx,
      () => ctx.store.deleteLease(lease.id),
      (row) =>
        row
          ? [
              auditEntry(
                row.meshId,
                { actorPubkey: presence.memberPubkey, actorName: presence.displayName },
                "lease.released",
                row.resource,
              ),
            ]
          : [],
    );
    conn.reply(frame, { type: "lease_released", resource: frame.resource, released: deleted !== null });
    if (deleted) announceLeases(ctx, [deleted], "released");
  },

  async lease_list({ ctx, conn, presence }, frame) {
    const leases = await ctx.store.listLeases(presence.meshId, frame.prefix ?? null, Date.now());
    conn.reply(frame, { type: "lease_list_result", leases: leases.map(toEntry) });
  },
};
