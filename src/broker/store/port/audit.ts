/** What the audit log stores (protocol.md §6.9b): one hash-chained row per event, per mesh. */

export interface NewAuditEntry {
  meshId: string;
  at: number;
  actorPubkey: string;
  actorName: string;
  action: string;
  target: string;
}

export interface AuditRow extends NewAuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface AuditStore {
  /**
   * Appends the mesh's next entry: seq one past the head (1 for the first), `prevHash` the head's hash,
   * `hash` as `auditHash`. Appenders of one mesh take turns (a per-mesh lock on every node sharing the
   * database), so seqs have no gaps and every entry links to the one before. Called inside
   * `transaction()`, it commits or rolls back with the change it records.
   */
  appendAudit(entry: NewAuditEntry): Promise<AuditRow>;
  /** Newest first, at most `limit`, only seqs below `beforeSeq` when given. */
  listAudit(meshId: string, beforeSeq: number | null, limit: number): Promise<AuditRow[]>;
  /** The whole chain of the mesh, oldest first (for verification). */
  auditChain(meshId: string): Promise<AuditRow[]>;
}
