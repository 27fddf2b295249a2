import { nextAuditRow } from "../audit-chain.js";
import type { AuditRow, AuditStore, NewAuditEntry } from "../port/index.js";
import type { SqliteContext } from "./db.js";

interface AuditDbRow {
  mesh_id: string;
  seq: number;
  at: number;
  actor_pubkey: string;
  actor_name: string;
  action: string;
  target: string;
  prev_hash: string;
  hash: string;
}

function toRow(r: AuditDbRow): AuditRow {
  return {
    meshId: r.mesh_id,
    seq: r.seq,
    at: r.at,
    actorPubkey: r.actor_pubkey,
    actorName: r.actor_name,
    action: r.action,
    target: r.target,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Audit log (protocol.md §6.9b). Appends run under SQLite's write lock: one appender at a time. */
export function auditMethods(ctx: SqliteContext): AuditStore {
  const q = ctx.statements((db) => {
    const head = db.prepare<[string], { seq: number; hash: string }>(
      "SELECT seq, hash FROM audit_log WHERE mesh_id = ? ORDER BY seq DESC LIMIT 1",
    );
    const insert = db.prepare(
      `INSERT INTO audit_log (mesh_id, seq, at, actor_pubkey, actor_name, action, target, prev_hash, hash)
       VALUES (@meshId, @seq, @at, @actorPubkey, @actorName, @action, @target, @prevHash, @hash)`,
    );
    return {
      append: ctx.atomic((entry: NewAuditEntry): AuditRow => {
        const row = nextAuditRow(head.get(entry.meshId) ?? null, entry);
        insert.run(row);
        return row;
      }),
      list: db.prepare<[string, number, number], AuditDbRow>(
        "SELECT * FROM audit_log WHERE mesh_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
      ),
      chain: db.prepare<[string], AuditDbRow>("SELECT * FROM audit_log WHERE mesh_id = ? ORDER BY seq"),
    };
  });

  return {
    async appendAudit(entry) {
      return q().append(entry);
    },
    async listAudit(meshId, beforeSeq, limit) {
      return q()
        .list.all(meshId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit)
        .map(toRow);
    },
    async auditChain(meshId) {
      return q().chain.all(meshId).map(toRow);
    },
  };
}
