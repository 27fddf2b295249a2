import { join } from "node:path";
import { STORE_FAULT_FILE_ENV, withFaultSwitch } from "./faulty.js";
import type { Store } from "./port/index.js";
import { describeDatabaseUrl } from "./postgres/db.js";
import { createPostgresStore } from "./postgres/index.js";
import { createSqliteStore } from "./sqlite/index.js";

export interface StoreOptions {
  dataDir: string;
  /** A `postgres://` URL: the PostgreSQL store there instead of SQLite in the data dir. */
  databaseUrl?: string;
  /** Told of a failed background task of the store (a WAL checkpoint). */
  onBackgroundError: (message: string) => void;
}

/** Picks the store adapter: PostgreSQL for a database URL, else SQLite in the data dir. */
function createAdapter(opts: StoreOptions): Store {
  if (opts.databaseUrl) return createPostgresStore({ url: opts.databaseUrl });
  return createSqliteStore({
    path: join(opts.dataDir, "broker.db"),
    backgroundCheckpoints: { onError: opts.onBackgroundError },
  });
}

/** The broker's store: the chosen adapter, behind the readiness fault switch tests may turn on. */
export function createStore(opts: StoreOptions): Store {
  return withFaultSwitch(createAdapter(opts), process.env[STORE_FAULT_FILE_ENV]);
}

/** The error a broker reports when the database at `--database-url` cannot be opened or migrated. */
export function databaseUnusableError(url: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return Object.assign(
    new Error(`cannot use the PostgreSQL database ${describeDatabaseUrl(url)}: ${reason}`),
    {
      code: "database_unusable",
      hint: "check --database-url (or DATABASE_URL): the server must be running and let this user connect",
      cause,
    },
  );
}
