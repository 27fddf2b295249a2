/** What the leases family stores (protocol.md §6.9a). */

export interface LeaseRow {
  id: string;
  meshId: string;
  resource: string;
  memberId: string;
  holderName: string;
  holderPubkey: string;
  /** The session presence that took it (it ends when that session leaves for good), else null. */
  presenceId: string | null;
  reason: string;
  acquiredAt: number;
  expiresAt: number;
}

export type AcquireOutcome =
  /** Granted: a new lease, or the member's own lease on the same resource renewed (`renewed`). */
  | { kind: "granted"; lease: LeaseRow; renewed: boolean; expired: LeaseRow[] }
  /** An overlapping live lease of another member. */
  | { kind: "held"; lease: LeaseRow; expired: LeaseRow[] }
  /** The member holds its limit of live leases already. */
  | { kind: "limit"; expired: LeaseRow[] };

export interface LeaseStore {
  /**
   * One atomic check-and-insert across every node on the store: of concurrent overlapping acquirers
   * exactly one wins. Expired overlapping leases found on the way are deleted and returned (`expired`).
   */
  acquireLease(lease: LeaseRow, maxPerMember: number, now: number): Promise<AcquireOutcome>;
  /** Extends the member's live lease on exactly `resource`; null when it holds none. */
  renewLease(
    meshId: string,
    memberId: string,
    resource: string,
    expiresAt: number,
    now: number,
  ): Promise<LeaseRow | null>;
  /** The live lease on exactly `resource`, or null. */
  getLease(meshId: string, resource: string, now: number): Promise<LeaseRow | null>;
  /** Deletes the lease with this id; the deleted row, or null when it was gone already. */
  deleteLease(leaseId: string): Promise<LeaseRow | null>;
  /** Live leases of the mesh, optionally those whose resource starts with `prefix`, by resource. */
  listLeases(meshId: string, prefix: string | null, now: number): Promise<LeaseRow[]>;
  /** Ends the leases a session presence took (it left for good); the deleted rows. */
  releasePresenceLeases(presenceId: string): Promise<LeaseRow[]>;
  /** Deletes up to `limit` leases that expired at or before `now`; the deleted rows. */
  sweepExpiredLeases(now: number, limit: number): Promise<LeaseRow[]>;
}
