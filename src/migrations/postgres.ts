/** The migration target of a PostgreSQL database (the broker's store), on the `postgres` driver. */
import type postgres from "postgres";
import type { Migration, MigrationSession, MigrationTarget } from "./migration.js";

/** First key of the advisory lock migrations take (the second is the schema's hash): "cm". */
const MIGRATION_LOCK = 0x636d;

export interface PostgresTargetOptions {
  /** Where the database is, for messages (no password). */
  label: string;
  /** Schema the connections' `search_path` names, created when missing; the server's default when absent. */
  schema?: string;
}

/**
 * Records steps in `schema_migrations` (as claudemesh always has on PostgreSQL). The run holds one
 * connection of `sql`'s pool and a session advisory lock on it, keyed by the schema: brokers starting at
 * once against one database migrate it once, the others waiting and then finding nothing to do. Each step
 * is a transaction of its own on that connection.
 */
export function postgresTarget<T extends Record<string, unknown>>(
  sql: postgres.Sql<T>,
  { label, schema }: PostgresTargetOptions,
): MigrationTarget {
  return {
    label,
    async withLock(work) {
      const key = schema ?? "";
      const conn = await sql.reserve();
      try {
        await conn`SELECT pg_advisory_lock(${MIGRATION_LOCK}, hashtext(${key}))`;
        let result;
        try {
          if (schema !== undefined) await conn`CREATE SCHEMA IF NOT EXISTS ${conn(schema)}`;
          await conn`
            CREATE TABLE IF NOT EXISTS schema_migrations (
              version INTEGER PRIMARY KEY,
              name TEXT NOT NULL,
              applied_at BIGINT NOT NULL
            )`;
          result = await work(postgresSession(conn));
        } catch (err) {
          // A step's transaction the runner could not roll back must not go back to the pool. When these
          // fail too, the connection is gone: the server ended its session, the lock and transaction with it.
          await conn`ROLLBACK`.catch(() => undefined);
          await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK}, hashtext(${key}))`.catch(() => undefined);
          throw err;
        }
        await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK}, hashtext(${key}))`;
        return result;
      } finally {
        conn.release();
      }
    },
  };
}

function postgresSession<T extends Record<string, unknown>>(conn: postgres.ReservedSql<T>): MigrationSession {
  return {
    async recorded() {
      const rows = await conn<{ name: string }[]>`SELECT name FROM schema_migrations ORDER BY version`;
      return rows.map((row) => row.name);
    },
    async countedSteps() {
      // PostgreSQL databases were recorded in schema_migrations from the start.
      return 0;
    },
    async begin() {
      await conn`BEGIN`;
    },
    async commit() {
      await conn`COMMIT`;
    },
    async rollback() {
      await conn`ROLLBACK`;
    },
    async exec(statements) {
      await conn.unsafe(statements);
    },
    async record(migration: Migration, at) {
      await conn`
        INSERT INTO schema_migrations (version, name, applied_at)
        VALUES (${migration.version}, ${migration.name}, ${at})`;
    },
  };
}
