/**
 * The embedded SQLite adapter of the storage port (better-sqlite3, WAL). Calls are synchronous underneath;
 * the methods return promises because the PostgreSQL adapter's are asynchronous, and a thrown SQLite error
 * becomes a rejection.
 */
import { existsSync } from "node:fs";
import { SQLITE_MIGRATIONS } from "../migrations/sqlite.js";
import type { Store } from "../port/index.js";
import { claimMethods } from "./claims.js";
import { SqliteContext, openDatabase } from "./db.js";
import { deliveryMethods } from "./deliveries.js";
import { inviteMethods } from "./invites.js";
import { limitMethods } from "./limits.js";
import { memberMethods } from "./members.js";
import { messageMethods } from "./messages.js";
import { runMigrations } from "./migrate.js";
import { presenceMethods } from "./presences.js";
import { sweepMethods } from "./sweep.js";

export interface SqliteStoreOptions {
  /** Database file, created when missing; ":memory:" for a private in-memory database. */
  path: string;
}

/**
 * Test hook for readiness checks: while the file named by this variable exists, `ping()` fails as if the
 * database were down. Unset (the normal case) it has no effect.
 */
export const STORE_FAULT_FILE_ENV = "CLAUDEMESH_STORE_FAULT_FILE";

function injectedFault(): string | null {
  const file = process.env[STORE_FAULT_FILE_ENV];
  return file && existsSync(file) ? file : null;
}

/** Opens (creating if needed) a SQLite store. Call `migrate()` before anything but `ping()`/`close()`. */
export function createSqliteStore({ path }: SqliteStoreOptions): Store {
  const db = openDatabase(path);
  const ctx = new SqliteContext(db);
  const ping = db.prepare("SELECT 1");

  return {
    kind: "sqlite",
    async migrate() {
      runMigrations(db, SQLITE_MIGRATIONS);
      ctx.markMigrated();
    },
    async ping() {
      const fault = injectedFault();
      if (fault) throw new Error(`store fault injected: ${fault} exists (${STORE_FAULT_FILE_ENV})`);
      ping.get();
    },
    async close() {
      if (db.open) db.close();
    },
    ...memberMethods(ctx),
    ...inviteMethods(ctx),
    ...limitMethods(ctx),
    ...presenceMethods(ctx),
    ...messageMethods(ctx),
    ...claimMethods(ctx),
    ...deliveryMethods(ctx),
    ...sweepMethods(ctx),
  };
}
