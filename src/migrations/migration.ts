/** What a schema step is, what the runner needs of a database to apply one, and the errors it raises. */

/**
 * One schema step. Versions start at 1 and increase by one; the name identifies the step in the
 * database's records, so a released step's name and SQL are never edited.
 */
export interface Migration {
  version: number;
  /** Short kebab-case description, unique in its list. */
  name: string;
  /** Statements applied in one transaction. */
  sql: string;
}

/**
 * One database, as the runner sees it while it holds the database's migration lock. Every call runs on
 * the same connection, one at a time.
 */
export interface MigrationSession {
  /** Names of the steps recorded as applied, oldest first. */
  recorded(): Promise<string[]>;
  /**
   * How many steps an older tracking that only counted them (SQLite's `PRAGMA user_version`) says are
   * applied, when nothing is recorded yet; 0 when there is no such tracking.
   */
  countedSteps(): Promise<number>;
  /** Opens the transaction one step runs in. */
  begin(): Promise<void>;
  /** Commits the step's transaction. */
  commit(): Promise<void>;
  /** Undoes the step's transaction. */
  rollback(): Promise<void>;
  /** Runs a step's statements. */
  exec(sql: string): Promise<void>;
  /** Records `migration` as applied at `at` (epoch ms). */
  record(migration: Migration, at: number): Promise<void>;
}

/** A database migrations can be applied to: SQLite (`sqlite.ts`) or PostgreSQL (`postgres.ts`). */
export interface MigrationTarget {
  /** Where the database is, for messages ("database /home/me/.claudemesh/broker/broker.db"). */
  readonly label: string;
  /**
   * Runs `work` on a session holding a lock that keeps other processes' runners on the same database
   * out until `work` settles, with the records table in place.
   */
  withLock<T>(work: (session: MigrationSession) => Promise<T>): Promise<T>;
}

/** A database written by a newer claudemesh: it records steps this version does not know. */
export class NewerDatabaseError extends Error {
  readonly code = "database_too_new";
  readonly hint =
    "upgrade claudemesh (a database is never migrated backwards), or point it at another database";

  /** `found`: what the database records that this version lacks, as the end of a sentence. */
  constructor(label: string, found: string) {
    super(`${label} was written by a newer claudemesh: it records ${found}`);
    this.name = "NewerDatabaseError";
  }
}

/** Throws when `migrations` are not numbered 1, 2, 3, … in order or repeat a name (a packaging mistake). */
export function assertMigrationList(migrations: readonly Migration[]): void {
  const names = new Set<string>();
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration list is broken: entry ${i} has version ${m.version}, expected ${i + 1}`);
    }
    if (names.has(m.name)) throw new Error(`migration list is broken: the name "${m.name}" is used twice`);
    names.add(m.name);
  });
}
