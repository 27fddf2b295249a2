/** leases (protocol.md §6.9a): who is editing what, across machines, so two agents don't collide. */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { reqId, replyReqId } from "../fields.js";

export const LEASE_RESOURCE_MAX_CHARS = 512;
export const LEASE_TTL_MIN_MS = 60_000;
export const LEASE_TTL_MAX_MS = 86_400_000;
export const LEASE_REASON_MAX_CHARS = 200;
/** Live leases one member may hold. */
export const LEASES_PER_MEMBER = 100;

const Resource = z.string().min(1).max(LEASE_RESOURCE_MAX_CHARS);
const TtlMs = z.number().int().min(LEASE_TTL_MIN_MS).max(LEASE_TTL_MAX_MS);

/**
 * Whether two resources overlap: equal, or one is a prefix of the other ending at a boundary (the prefix
 * ends with `/`, or with the `:` of a repository's root `r:`, or the longer one goes on with `/`), so
 * `r:`, `r:src/` and `r:src` all overlap `r:src/db/a.ts`, while `r:src` does not overlap `r:srcs/a.ts`.
 */
export function leasesOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  if (!long.startsWith(short)) return false;
  return short.endsWith("/") || short.endsWith(":") || long[short.length] === "/";
}

export const LeaseAcquireFrame = z.object({
  type: z.literal("lease_acquire"),
  resource: Resource,
  ttlMs: TtlMs,
  reason: z.string().max(LEASE_REASON_MAX_CHARS).optional(),
  _reqId: reqId,
});

export const LeaseRenewFrame = z.object({
  type: z.literal("lease_renew"),
  resource: Resource,
  ttlMs: TtlMs,
  _reqId: reqId,
});

export const LeaseReleaseFrame = z.object({
  type: z.literal("lease_release"),
  resource: Resource,
  _reqId: reqId,
});

export const LeaseListFrame = z.object({
  type: z.literal("lease_list"),
  prefix: z.string().max(LEASE_RESOURCE_MAX_CHARS).optional(),
  _reqId: reqId,
});

export const LeaseGranted = z.object({
  type: z.literal("lease_granted"),
  resource: z.string(),
  leaseId: z.string(),
  holderName: z.string(),
  holderPubkey: z.string(),
  /** ISO 8601. */
  expiresAt: z.string(),
  _reqId: replyReqId,
});
export type LeaseGranted = z.infer<typeof LeaseGranted>;

export const LeaseReleased = z.object({
  type: z.literal("lease_released"),
  resource: z.string(),
  released: z.boolean(),
  _reqId: replyReqId,
});
export type LeaseReleased = z.infer<typeof LeaseReleased>;

export const LeaseEntry = z.object({
  leaseId: z.string(),
  resource: z.string(),
  holderName: z.string(),
  holderPubkey: z.string(),
  reason: z.string(),
  acquiredAt: z.string(),
  expiresAt: z.string(),
});
export type LeaseEntry = z.infer<typeof LeaseEntry>;

export const LeaseListResult = z.object({
  type: z.literal("lease_list_result"),
  leases: z.array(LeaseEntry),
  _reqId: replyReqId,
});
export type LeaseListResult = z.infer<typeof LeaseListResult>;

/** `eventData` of the `lease_change` system push every presence of the mesh gets. */
export const LeaseChangeData = z.object({
  resource: z.string(),
  action: z.enum(["acquired", "released", "expired"]),
  holderName: z.string(),
});
export type LeaseChangeData = z.infer<typeof LeaseChangeData>;

export const leaseRequests = [LeaseAcquireFrame, LeaseRenewFrame, LeaseReleaseFrame, LeaseListFrame] as const;
type LeaseRequestType = z.infer<(typeof leaseRequests)[number]>["type"];

export const leaseReplies = {
  lease_acquire: LeaseGranted,
  lease_renew: LeaseGranted,
  lease_release: LeaseReleased,
  lease_list: LeaseListResult,
} as const satisfies ReplyTable<LeaseRequestType>;
