import { assertMigrationList, newerSchemaError, type Migration } from "../migrations/migration.js";
import type { Db } from "./db.js";

/**
 * Applies the migrations newer than the database's version, each in its own IMMEDIATE transaction, and
 * records them in `schema_migrations`. Idempotent, and safe when two processes start at once (the version
 * is re-read under the write lock). Refuses a database whose version is newer than `migrations` knows.
 * Returns the versions applied.
 */
export function runMigrations(
  db: Db,
  migrations: readonly Migration[],
  now: () => number = Date.now,
): number[] {
  assertMigrationList(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const readVersion = db.prepare<[], { version: number | null }>(
    "SELECT MAX(version) AS version FROM schema_migrations",
  );
  const record = db.prepare<[number, string, number]>(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
  );
  const currentVersion = (): number => readVersion.get()?.version ?? 0;
  const known = migrations.length;

  const apply = db.transaction((migration: Migration): boolean => {
    const current = currentVersion();
    if (current > known) throw newerSchemaError(current, known);
    if (current >= migration.version) return false;
    db.exec(migration.sql);
    record.run(migration.version, migration.name, now());
    return true;
  });

  const found = currentVersion();
  if (found > known) throw newerSchemaError(found, known);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version > found && apply.immediate(migration)) applied.push(migration.version);
  }
  return applied;
}

/** The highest applied migration version, 0 for a fresh database. */
export function schemaVersion(db: Db): number {
  const table = db
    .prepare<[], { n: number }>(
      "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    )
    .get();
  if (!table || table.n === 0) return 0;
  return (
    db.prepare<[], { version: number | null }>("SELECT MAX(version) AS version FROM schema_migrations").get()
      ?.version ?? 0
  );
}
