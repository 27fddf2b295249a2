/**
 * The one migration runner of the broker's stores and the daemon's databases, on umzug: umzug decides
 * what is pending and applies it in order; a target (`sqlite.ts`, `postgres.ts`) supplies the lock, the
 * transactions and the records. Each step runs in its own transaction together with its record, so a
 * failed step leaves nothing behind and the steps before it stay applied.
 */
import type { Logger } from "pino";
import { MigrationError, Umzug, type UmzugStorage } from "umzug";
import {
  assertMigrationList,
  NewerDatabaseError,
  type Migration,
  type MigrationSession,
  type MigrationTarget,
} from "./migration.js";

export interface RunOptions {
  /** Told of each step applied and of steps adopted from an older tracking. @default no logging */
  log?: Logger;
  /** Clock for the records' `applied_at`. @default Date.now */
  now?: () => number;
}

/**
 * Applies the steps of `migrations` that `target` has not recorded, under its migration lock, and returns
 * their names. A database tracked only by a step count (`MigrationSession.countedSteps`) is adopted first:
 * its first steps are recorded as applied, without running them. A database that records a step this
 * list does not know (or counts more steps than it has) was written by a newer claudemesh and is refused
 * with a `NewerDatabaseError` before anything runs.
 */
export async function runMigrations(
  target: MigrationTarget,
  migrations: readonly Migration[],
  { log, now = Date.now }: RunOptions = {},
): Promise<string[]> {
  assertMigrationList(migrations);
  return target.withLock(async (session) => {
    await adoptCountedSteps(target.label, session, migrations, now, log);
    const known = new Set(migrations.map((m) => m.name));
    const unknown = (await session.recorded()).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      const names = unknown.map((name) => `"${name}"`).join(", ");
      throw new NewerDatabaseError(target.label, `${names}, unknown to this version`);
    }
    return applyPending(session, migrations, now, log);
  });
}

/** Records the steps an older tracking counted as applied (the daemon's `user_version`), once. */
async function adoptCountedSteps(
  label: string,
  session: MigrationSession,
  migrations: readonly Migration[],
  now: () => number,
  log: Logger | undefined,
): Promise<void> {
  if ((await session.recorded()).length > 0) return;
  const counted = await session.countedSteps();
  if (counted === 0) return;
  if (counted > migrations.length) {
    throw new NewerDatabaseError(label, `schema version ${counted}; this version knows ${migrations.length}`);
  }
  const adopted = migrations.slice(0, counted);
  for (const migration of adopted) await session.record(migration, now());
  log?.info({ adopted: adopted.map((m) => m.name) }, "recorded the migrations an older version counted");
}

async function applyPending(
  session: MigrationSession,
  migrations: readonly Migration[],
  now: () => number,
  log: Logger | undefined,
): Promise<string[]> {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const storage: UmzugStorage = {
    executed: () => session.recorded(),
    async logMigration({ name }) {
      const migration = byName.get(name);
      if (migration === undefined)
        throw new Error(`umzug logged a migration that is not in the list: ${name}`);
      await session.record(migration, now());
    },
    async unlogMigration({ name }) {
      throw new Error(`claudemesh never reverts a migration (asked to revert ${name})`);
    },
  };
  const umzug = new Umzug({
    migrations: migrations.map((m) => ({ name: m.name, up: () => session.exec(m.sql) })),
    storage,
    logger: log && {
      info: (entry) => log.info(entry, "migration"),
      warn: (entry) => log.warn(entry, "migration"),
      error: (entry) => log.error(entry, "migration"),
      debug: (entry) => log.debug(entry, "migration"),
    },
  });
  // The step and its record share one transaction: opened before umzug runs the step, committed after
  // umzug has logged it.
  const step: { open: string | null } = { open: null };
  umzug.on("migrating", async ({ name }) => {
    await session.begin();
    step.open = name;
  });
  umzug.on("migrated", async () => {
    await session.commit();
    step.open = null;
  });
  try {
    const applied = await umzug.up();
    return applied.map((m) => m.name);
  } catch (err) {
    if (step.open !== null) {
      log?.error({ migration: step.open }, "migration failed; rolling it back");
      // A rollback that fails too (the connection is gone) must not hide why the step failed; the target's
      // lock ends the connection's transaction either way.
      await session
        .rollback()
        .catch((rollbackErr: unknown) => log?.error({ err: String(rollbackErr) }, "rollback failed"));
    }
    // umzug wraps a step's error; callers classify the database's own (its code: a full disk, a lost
    // connection), so that is what they get.
    throw err instanceof MigrationError && err.cause !== undefined ? err.cause : err;
  }
}
