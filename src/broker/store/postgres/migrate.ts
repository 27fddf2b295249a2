import { assertMigrationList, newerSchemaError, type Migration } from "../migrations/migration.js";
import type { Sql } from "./db.js";

/** First key of the advisory lock migrations take (the second is the schema's hash): "cm". */
const MIGRATION_LOCK = 0x636d;

/**
 * Applies the migrations newer than the database's version in one transaction, and records them in
 * `schema_migrations`. It holds a transaction-scoped advisory lock while it reads the version, so
 * brokers starting at once against one database migrate it once: the others wait, then find nothing to
 * do. Creates `schema` first when given. Refuses a database whose version is newer than `migrations`
 * knows. Returns the versions applied.
 */
export async function runMigrations(
  sql: Sql,
  migrations: readonly Migration[],
  schema?: string,
  now: () => number = Date.now,
): Promise<number[]> {
  assertMigrationList(migrations);
  const known = migrations.length;
  const { applied } = await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}, hashtext(${schema ?? ""}))`;
    if (schema !== undefined) await tx`CREATE SCHEMA IF NOT EXISTS ${tx(schema)}`;
    await tx`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      )`;
    const [row] = await tx<{ version: number }[]>`
      SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations`;
    const found = row?.version ?? 0;
    if (found > known) throw newerSchemaError(found, known);
    const versions: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= found) continue;
      await tx.unsafe(migration.sql);
      await tx`
        INSERT INTO schema_migrations (version, name, applied_at)
        VALUES (${migration.version}, ${migration.name}, ${now()})`;
      versions.push(migration.version);
    }
    return { applied: versions };
  });
  return applied;
}

/** The highest applied migration version, 0 for a fresh database (or schema). */
export async function schemaVersion(sql: Sql): Promise<number> {
  const [table] = await sql<{ present: boolean }[]>`
    SELECT to_regclass('schema_migrations') IS NOT NULL AS present`;
  if (!table?.present) return 0;
  const [row] = await sql<
    { version: number }[]
  >`SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations`;
  return row?.version ?? 0;
}
