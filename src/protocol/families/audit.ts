/** audit log (protocol.md §6.9b): a per-mesh hash chain of membership, moderation, invite, task and lease events. */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { reqId, replyReqId } from "../fields.js";

/** Every action an audit entry may name, `<family>.<event>`. */
export const AUDIT_ACTIONS = [
  "mesh.created",
  "member.joined",
  "member.left",
  "member.kicked",
  "member.banned",
  "member.unbanned",
  "member.disconnected",
  "invite.created",
  "invite.revoked",
  "task.created",
  "task.claimed",
  "task.completed",
  "lease.acquired",
  "lease.released",
  "lease.expired",
  "topic.created",
  "topic.joined",
  "topic.left",
  "topic.key_set",
  "topic.key_sealed",
  "file.shared",
  "file.deleted",
] as const;
export const AuditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

/** `audit_query` returns at most this many entries, `AUDIT_QUERY_DEFAULT` when no limit is given. */
export const AUDIT_QUERY_MAX = 500;
export const AUDIT_QUERY_DEFAULT = 100;
/** `prevHash` of a mesh's first entry. */
export const AUDIT_GENESIS_HASH = "0".repeat(64);

export const AuditQueryFrame = z.object({
  type: z.literal("audit_query"),
  limit: z.number().int().min(1).max(AUDIT_QUERY_MAX).optional(),
  /** Only entries older than this seq (paging back). */
  beforeSeq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  _reqId: reqId,
});

export const AuditVerifyFrame = z.object({ type: z.literal("audit_verify"), _reqId: reqId });

export const AuditEntry = z.object({
  seq: z.number().int().positive(),
  /** Epoch ms. */
  at: z.number().int(),
  actorPubkey: z.string(),
  actorName: z.string(),
  action: z.string(),
  /** What the action was on: a display name, invite code prefix, task id or lease resource. */
  target: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditResult = z.object({
  type: z.literal("audit_result"),
  /** Newest first. */
  entries: z.array(AuditEntry),
  _reqId: replyReqId,
});
export type AuditResult = z.infer<typeof AuditResult>;

export const AuditVerifyResult = z.object({
  type: z.literal("audit_verify_result"),
  ok: z.boolean(),
  /** Entries checked. */
  entries: z.number().int().nonnegative(),
  /** Hash of the newest entry (64 zeros for an empty log). */
  head: z.string(),
  /** Seq of the first entry whose link or hash does not verify. */
  brokenAt: z.number().int().positive().optional(),
  _reqId: replyReqId,
});
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;

export const auditRequests = [AuditQueryFrame, AuditVerifyFrame] as const;
type AuditRequestType = z.infer<(typeof auditRequests)[number]>["type"];

export const auditReplies = {
  audit_query: AuditResult,
  audit_verify: AuditVerifyResult,
} as const satisfies ReplyTable<AuditRequestType>;
