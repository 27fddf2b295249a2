/** Opening the daemon's SQLite files: WAL, full sync (an accepted row survives a crash), 0600, migrations. */
import { chmodSync } from "node:fs";
import Database from "better-sqlite3";

export type Db = Database.Database;

/**
 * Opens (creating when missing) the database at `path` and applies the migrations it has not seen yet,
 * tracked in `PRAGMA user_version` (migration `i` brings the schema to version `i + 1`).
 */
export function openDatabase(path: string, migrations: readonly string[]): Db {
  const db = new Database(path);
  if (path !== ":memory:") chmodSync(path, 0o600);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  const current = Number(db.pragma("user_version", { simple: true }));
  const pending = migrations.slice(current);
  if (pending.length > 0) {
    db.transaction(() => {
      for (const sql of pending) db.exec(sql);
      db.pragma(`user_version = ${migrations.length}`);
    })();
  }
  return db;
}
