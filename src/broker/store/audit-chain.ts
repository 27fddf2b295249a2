/**
 * The audit log's hash chain (protocol.md §6.9b), shared by the adapters (which link each appended entry)
 * and the broker (which verifies a chain read back).
 */
import { sha256Hex } from "../../crypto/index.js";
import { AUDIT_GENESIS_HASH } from "../../protocol/index.js";
import type { AuditRow, NewAuditEntry } from "./port/index.js";

/** Lower-case hex SHA-256 of `<prevHash>|<seq>|<at>|<actorPubkey>|<action>|<target>`. */
export function auditHash(
  prevHash: string,
  e: { seq: number; at: number; actorPubkey: string; action: string; target: string },
): string {
  return sha256Hex(`${prevHash}|${e.seq}|${e.at}|${e.actorPubkey}|${e.action}|${e.target}`);
}

/** The row that follows `head` (null: the first of the mesh). */
export function nextAuditRow(head: { seq: number; hash: string } | null, entry: NewAuditEntry): AuditRow {
  const seq = head ? head.seq + 1 : 1;
  const prevHash = head ? head.hash : AUDIT_GENESIS_HASH;
  return { ...entry, seq, prevHash, hash: auditHash(prevHash, { ...entry, seq }) };
}

export interface ChainCheck {
  ok: boolean;
  entries: number;
  head: string;
  brokenAt?: number;
}

/**
 * Checks a chain read oldest first: seqs 1, 2, … without gaps, each `prevHash` the hash before it, and
 * each `hash` recomputed from the row. `brokenAt` is the first seq that fails; `head` the last stored hash.
 */
export function verifyAuditChain(rows: readonly AuditRow[]): ChainCheck {
  let prev = AUDIT_GENESIS_HASH;
  let brokenAt: number | undefined;
  rows.forEach((row, i) => {
    if (brokenAt !== undefined) return;
    if (row.seq !== i + 1 || row.prevHash !== prev || row.hash !== auditHash(prev, row)) {
      brokenAt = row.seq;
      return;
    }
    prev = row.hash;
  });
  const head = rows.length > 0 ? rows[rows.length - 1]!.hash : AUDIT_GENESIS_HASH;
  return brokenAt === undefined
    ? { ok: true, entries: rows.length, head }
    : { ok: false, entries: rows.length, head, brokenAt };
}
