/** The migration target of a better-sqlite3 database: the broker's SQLite store and the daemon's files. */
import type Database from "better-sqlite3";
import type { Migration, MigrationSession, MigrationTarget } from "./migration.js";
import { KeyedQueue } from "../host/keyed-queue.js";

/**
 * Runs on one file queue within this process. SQLite's write lock keeps other processes out, but a second
 * connection of this process would wait for it synchronously, blocking the event loop that the run
 * holding it needs in order to finish.
 */
const runsPerFile = new KeyedQueue();

/**
 * Records the steps of a SQLite database in `schema_migrations`, the table the broker's store has always
 * used. The daemon's files counted their steps in `PRAGMA user_version` instead; that count is what
 * `countedSteps` reads, so the runner adopts them. Each record also sets `user_version` to its version,
 * so a claudemesh from before this runner still sees how far the schema is.
 *
 * The lock is one `BEGIN IMMEDIATE` transaction (SQLite's write lock, waited for up to the connection's
 * busy timeout) around the whole run, and each step is a savepoint inside it: processes opening one file
 * at once migrate it once, the later ones reading what the first recorded.
 */
export function sqliteTarget(db: Database.Database, label: string): MigrationTarget {
  return {
    label,
    withLock: (work) => runsPerFile.run(db.name, () => lockedRun(db, work)),
  };
}

/** One run under SQLite's write lock, with the records table in place. */
async function lockedRun<T>(
  db: Database.Database,
  work: (session: MigrationSession) => Promise<T>,
): Promise<T> {
  db.exec("BEGIN IMMEDIATE");
  let session: ReturnType<typeof sqliteSession> | null = null;
  let result;
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`);
    session = sqliteSession(db);
    result = await work(session);
  } catch (err) {
    endFailedRun(db, session?.stepOpen() ?? false);
    throw err;
  }
  db.exec("COMMIT");
  return result;
}

/**
 * After a failed run: commits the steps that completed before the failure (each was a savepoint released
 * into the run's transaction; the failed one was rolled back to its own), as a transaction per step would
 * have. When the failed step could not be rolled back, or that commit fails, everything of this run is
 * undone, records included, and runs again next time.
 */
function endFailedRun(db: Database.Database, stepOpen: boolean): void {
  if (!db.inTransaction) return;
  if (stepOpen) {
    db.exec("ROLLBACK");
    return;
  }
  try {
    db.exec("COMMIT");
  } catch {
    // The caller rethrows the failure that matters; this one only decides what is kept.
    if (db.inTransaction) db.exec("ROLLBACK");
  }
}

/** The session of one run; `stepOpen` says whether a step's savepoint is still open. */
function sqliteSession(db: Database.Database): MigrationSession & { stepOpen(): boolean } {
  let open = false;
  const recorded = db.prepare<[], { name: string }>("SELECT name FROM schema_migrations ORDER BY version");
  const record = db.prepare<[number, string, number]>(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
  );
  return {
    async recorded() {
      return recorded.all().map((row) => row.name);
    },
    async countedSteps() {
      return Number(db.pragma("user_version", { simple: true }));
    },
    stepOpen: () => open,
    async begin() {
      db.exec("SAVEPOINT migration");
      open = true;
    },
    async commit() {
      db.exec("RELEASE migration");
      open = false;
    },
    async rollback() {
      db.exec("ROLLBACK TO migration");
      db.exec("RELEASE migration");
      open = false;
    },
    async exec(sql) {
      db.exec(sql);
    },
    async record(migration: Migration, at) {
      record.run(migration.version, migration.name, at);
      db.pragma(`user_version = ${migration.version}`);
    },
  };
}
