import { nextAuditRow } from "../audit-chain.js";
import type { AuditRow, AuditStore } from "../port/index.js";
import type { PgContext } from "./db.js";

const COLUMNS = "mesh_id, seq, at, actor_pubkey, actor_name, action, target, prev_hash, hash";

/** Audit log (protocol.md §6.9b). */
export function auditMethods(ctx: PgContext): AuditStore {
  return {
    async appendAudit(entry) {
      return ctx.run(true, async (db) => {
        // Appenders of one mesh take turns on every node: a transaction-scoped advisory lock, held until
        // the change this entry records commits, so the head read next is the latest and seqs leave no gap.
        await db`SELECT pg_advisory_xact_lock(hashtextextended(${`audit:${entry.meshId}`}, 0))`;
        const [head] = await db<Array<{ seq: number; hash: string }>>`
          SELECT seq, hash FROM audit_log WHERE mesh_id = ${entry.meshId} ORDER BY seq DESC LIMIT 1`;
        const row = nextAuditRow(head ?? null, entry);
        await db`
          INSERT INTO audit_log (mesh_id, seq, at, actor_pubkey, actor_name, action, target, prev_hash, hash)
          VALUES (${row.meshId}, ${row.seq}, ${row.at}, ${row.actorPubkey}, ${row.actorName}, ${row.action},
            ${row.target}, ${row.prevHash}, ${row.hash})`;
        return row;
      });
    },
    async listAudit(meshId, beforeSeq, limit) {
      return ctx.run(
        false,
        (db) => db<AuditRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM audit_log
          WHERE mesh_id = ${meshId} AND seq < ${beforeSeq ?? Number.MAX_SAFE_INTEGER}
          ORDER BY seq DESC LIMIT ${limit}`,
      );
    },
    async auditChain(meshId) {
      return ctx.run(
        false,
        (db) => db<AuditRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM audit_log WHERE mesh_id = ${meshId} ORDER BY seq`,
      );
    },
  };
}
