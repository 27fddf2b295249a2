import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type Db = Database.Database;

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;
/** Page cache per connection, in KiB (SQLite's default is 2 MiB). */
const CACHE_KIB = 16_384;
/**
 * WAL pages between automatic checkpoints (default 1,000). A checkpoint costs two fsyncs, and a batch of
 * 50 accepts dirties ~150 pages (two random-keyed indexes), so the default checkpointed every few batches.
 */
const WAL_CHECKPOINT_PAGES = 4_000;

/** Opens `path` (or ":memory:"), creating its directory if needed, with the pragmas the adapter relies on. */
export function openDatabase(path: string): Db {
  if (path !== ":memory:" && path !== "") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // NORMAL under WAL: a crashed process loses nothing; an OS crash or power cut may lose the last
  // commits, never the database. FULL (an fsync per commit, ~6 ms here) would cap throughput.
  db.pragma("synchronous = NORMAL");
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma("foreign_keys = ON");
  db.pragma(`cache_size = -${CACHE_KIB}`);
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
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
