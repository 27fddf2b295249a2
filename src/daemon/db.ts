/** Opening the daemon's SQLite files: WAL, full sync (an accepted row survives a crash), 0600, migrations. */
import { chmodSync } from "node:fs";
import Database from "better-sqlite3";
import type { Logger } from "pino";
import type { Migration } from "../migrations/migration.js";
import { runMigrations } from "../migrations/runner.js";
import { sqliteTarget } from "../migrations/sqlite.js";

export type Db = Database.Database;

/**
 * Opens (creating when missing) the database at `path` and applies the migrations it has not recorded
 * yet. Files from before the shared runner, which counted their migrations in `PRAGMA user_version`, are
 * adopted as they are.
 */
export async function openDatabase(
  path: string,
  migrations: readonly Migration[],
  log?: Logger,
): Promise<Db> {
  const db = new Database(path);
  try {
    if (path !== ":memory:") chmodSync(path, 0o600);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    await runMigrations(sqliteTarget(db, `the daemon database ${path}`), migrations, { log });
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
