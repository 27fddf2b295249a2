/**
 * The decision of `acquireLease` (protocol.md §6.9a), shared by the adapters: each reads the leases that
 * may overlap the new one under its lock, asks {@link decideAcquire}, and applies the answer in the same
 * transaction.
 */
import { leasesOverlap } from "../../protocol/index.js";
import type { LeaseRow } from "./port/index.js";

export type AcquireDecision =
  | { kind: "insert"; expired: LeaseRow[] }
  | { kind: "renew"; own: LeaseRow; expired: LeaseRow[] }
  | { kind: "held"; lease: LeaseRow; expired: LeaseRow[] }
  | { kind: "limit"; expired: LeaseRow[] };

/**
 * `candidates`: every lease of the mesh whose resource is a prefix of the new one or starts with it (a
 * superset of the overlapping ones); `memberLive`: the member's live leases in the mesh.
 */
export function decideAcquire(
  lease: LeaseRow,
  candidates: readonly LeaseRow[],
  memberLive: number,
  maxPerMember: number,
  now: number,
): AcquireDecision {
  const overlapping = candidates.filter((c) => leasesOverlap(c.resource, lease.resource));
  const expired = overlapping.filter((c) => c.expiresAt <= now);
  const live = overlapping.filter((c) => c.expiresAt > now);
  const held = live.find((c) => c.memberId !== lease.memberId);
  if (held) return { kind: "held", lease: held, expired };
  const own = live.find((c) => c.resource === lease.resource);
  if (own) return { kind: "renew", own, expired };
  // An expired row on the same resource is deleted first, so it never counts against the limit.
  if (memberLive >= maxPerMember) return { kind: "limit", expired };
  return { kind: "insert", expired };
}
