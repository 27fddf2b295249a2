import { join } from "node:path";
import type { Store } from "./port/index.js";
import { createSqliteStore } from "./sqlite/index.js";

/** Picks the store adapter: PostgreSQL for a database URL, else SQLite in the data dir. */
export function createStore(opts: { dataDir: string; databaseUrl?: string }): Store {
  if (opts.databaseUrl) {
    throw new Error(
      "PostgreSQL storage is not available in this version; run without --database-url (SQLite)",
    );
  }
  return createSqliteStore({ path: join(opts.dataDir, "broker.db") });
}
