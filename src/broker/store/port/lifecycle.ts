/** What every adapter does whatever families it serves: migrate, health, close. */
export interface LifecycleStore {
  readonly kind: "sqlite" | "postgres";
  /**
   * Applies pending migrations. Called once at start; idempotent. Rejects a database migrated by a newer
   * version of claudemesh.
   */
  migrate(): Promise<void>;
  /** Throws when the database cannot answer (readiness). */
  ping(): Promise<void>;
  /** Releases the connection(s); safe to call twice. */
  close(): Promise<void>;
}
