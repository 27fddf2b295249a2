import { join } from "node:path";
import { STORE_FAULT_FILE_ENV, withFaultSwitch } from "./faulty.js";
import type { Store } from "./port/index.js";
import { createSqliteStore } from "./sqlite/index.js";

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string;
  /** Told of a failed background task of the store (a WAL checkpoint). */
  onBackgroundError: (message: string) => void;
}

/** Picks the store adapter: PostgreSQL for a database URL, else SQLite in the data dir. */
function createAdapter(opts: StoreOptions): Store {
  if (opts.databaseUrl) {
    throw new Error(
      "PostgreSQL storage is not available in this version; run without --database-url (SQLite)",
    );
  }
  return createSqliteStore({
    path: join(opts.dataDir, "broker.db"),
    backgroundCheckpoints: { onError: opts.onBackgroundError },
  });
}

/** The broker's store: the chosen adapter, behind the readiness fault switch tests may turn on. */
export function createStore(opts: StoreOptions): Store {
  return withFaultSwitch(createAdapter(opts), process.env[STORE_FAULT_FILE_ENV]);
}
