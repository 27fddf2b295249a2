/** One schema step. Versions start at 1, increase by one, and a released step is never edited. */
export interface Migration {
  version: number;
  /** Short kebab-case description, recorded next to the version. */
  name: string;
  /** Statements applied in one transaction. */
  sql: string;
}

/** Throws when `migrations` are not numbered 1, 2, 3, … in order (a packaging mistake, caught at start). */
export function assertMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration list is broken: entry ${i} has version ${m.version}, expected ${i + 1}`);
    }
  });
}

/** The error a store raises when the database was migrated by a newer claudemesh. */
export function newerSchemaError(found: number, known: number): Error {
  return new Error(
    `database schema version ${found} is newer than this claudemesh supports (${known}); ` +
      "upgrade claudemesh, or point the broker at another data directory",
  );
}
