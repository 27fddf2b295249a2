/**
 * The daemon API's views of the audit log (protocol.md §6.9b), as `claudemesh audit log|verify --json`
 * prints them (cli.md "Shared mesh features"), and their mapping from the wire replies.
 */
import type { AuditEntry, AuditVerifyResult } from "../protocol/index.js";

export interface AuditEntryView {
  seq: number;
  /** ISO 8601. */
  at: string;
  actor_name: string;
  actor_pubkey: string;
  action: string;
  target: string;
  hash: string;
}

export interface AuditVerifyView {
  ok: boolean;
  entries: number;
  head: string;
  broken_at?: number;
}

export function auditEntryView(e: AuditEntry): AuditEntryView {
  return {
    seq: e.seq,
    at: new Date(e.at).toISOString(),
    actor_name: e.actorName,
    actor_pubkey: e.actorPubkey,
    action: e.action,
    target: e.target,
    hash: e.hash,
  };
}

export function auditVerifyView(r: AuditVerifyResult): AuditVerifyView {
  return {
    ok: r.ok,
    entries: r.entries,
    head: r.head,
    ...(r.brokenAt === undefined ? {} : { broken_at: r.brokenAt }),
  };
}
