/** What every adapter does whatever families it serves: migrate, health, close. */
export interface TransactionOptions {
  /**
   * False for work whose loss redelivery repairs (claims, acks): its commit may then be lost if the
   * database server crashes right after it (never in part), and it does not wait for the server's log
   * flush. SQLite's commits never wait for one (WAL, `synchronous = NORMAL`). @default true
   */
  durable?: boolean;
}

export interface LifecycleStore {
  readonly kind: "sqlite" | "postgres";
  /**
   * Applies pending migrations and returns their names. Called once at start; idempotent. Rejects a
   * database migrated by a newer version of claudemesh (`database_too_new`).
   */
  migrate(): Promise<string[]>;
  /** Throws when the database cannot answer (readiness). */
  ping(): Promise<void>;
  /**
   * Makes one small durable write (a single-row upsert), so a caller can tell whether writes succeed
   * again after a storage fault. Rejects while they do not.
   */
  probeWrite(now: number): Promise<void>;
  /**
   * Returns space freed by deletes to the filesystem where the backend keeps a write-ahead log (SQLite:
   * `wal_checkpoint(TRUNCATE)`); a no-op elsewhere.
   */
  checkpoint(): Promise<void>;
  /**
   * Stores `hash` (lower-case hex SHA-256) as the broker admin token's hash unless one is stored already,
   * and returns the stored one: the first node to start sets it, and every node checks admin requests
   * against the same hash.
   */
  adoptAdminTokenHash(hash: string): Promise<string>;
  /**
   * Runs `work` as one transaction: the store calls it makes commit together when it resolves, and none
   * of them when it rejects. All or nothing: the first store call that fails inside dooms it (every call
   * after it fails with the same error, and the transaction rolls back and rejects with that error even
   * when `work` caught it). `work` awaits store calls only (no timers, no network), so nothing else runs
   * inside it. Called while one is open, `work` joins it (and the open one's options stand).
   */
  transaction<T>(work: () => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Sends `payload` on the database's notification `channel` (PostgreSQL `NOTIFY`) when the transaction
   * open in the caller's async context commits, and never if it rolls back. False when no transaction is
   * open there, or the backend has no notifications (SQLite): the caller then sends it its own way.
   */
  notifyAtCommit(channel: string, payload: string): boolean;
  /** Releases the connection(s); safe to call twice. */
  close(): Promise<void>;
}
