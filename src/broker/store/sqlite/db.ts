import Database from "better-sqlite3";

export type Db = Database.Database;

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/** Opens `path` (or ":memory:") with the pragmas the adapter relies on. */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // NORMAL under WAL: a power cut may lose the last commits but never corrupts the database.
  db.pragma("synchronous = NORMAL");
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma("foreign_keys = ON");
  return db;
}

/**
 * Shared by the adapter's modules: the connection, and statements prepared once, on first use. Preparing
 * needs the tables, so it is refused with a clear error before `migrate()`.
 */
export class SqliteContext {
  private migrated = false;

  constructor(readonly db: Db) {}

  markMigrated(): void {
    this.migrated = true;
  }

  /** Returns a getter that runs `make` once (after migration) and then returns its result. */
  statements<T>(make: (db: Db) => T): () => T {
    let made: T | undefined;
    return () => {
      if (made === undefined) {
        if (!this.migrated) throw new Error("the SQLite store was used before migrate()");
        made = make(this.db);
      }
      return made;
    };
  }
}
