/**
 * The daemon API's views of tasks (protocol.md §6.3) and leases (§6.9a), as `claudemesh task|lease … --json`
 * prints them (cli.md "Shared mesh features"), and their mapping from the wire replies.
 */
import type { LeaseEntry, LeaseGranted, TaskEntry } from "../protocol/index.js";

export interface TaskView {
  id: string;
  /** Decrypted. */
  title: string;
  assignee: string | null;
  claimed_by: string | null;
  status: "open" | "claimed" | "done";
  priority: string;
  created_by: string;
  tags: string[];
  /** Decrypted; null until done (or done without one). */
  result: string | null;
  created_at: string;
}

export interface LeaseView {
  lease_id: string;
  resource: string;
  holder_name: string;
  holder_pubkey: string;
  reason: string;
  acquired_at: string;
  expires_at: string;
}

export interface LeaseGrantView {
  resource: string;
  lease_id: string;
  holder_name: string;
  holder_pubkey: string;
  expires_at: string;
}

/** One path `lease check` was asked about, under another member's lease. */
export interface LeaseConflict {
  path: string;
  resource: string;
  holder_name: string;
  expires_at: string;
}

export function taskView(t: TaskEntry): TaskView {
  return {
    id: t.id,
    title: t.title,
    assignee: t.assignee,
    claimed_by: t.claimedBy,
    status: t.status,
    priority: t.priority,
    created_by: t.createdBy,
    tags: t.tags,
    result: t.result ?? null,
    created_at: t.createdAt,
  };
}

export function leaseView(l: LeaseEntry): LeaseView {
  return {
    lease_id: l.leaseId,
    resource: l.resource,
    holder_name: l.holderName,
    holder_pubkey: l.holderPubkey,
    reason: l.reason,
    acquired_at: l.acquiredAt,
    expires_at: l.expiresAt,
  };
}

export function leaseGrantView(g: LeaseGranted): LeaseGrantView {
  return {
    resource: g.resource,
    lease_id: g.leaseId,
    holder_name: g.holderName,
    holder_pubkey: g.holderPubkey,
    expires_at: g.expiresAt,
  };
}
