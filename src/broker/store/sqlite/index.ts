/**
 * The embedded SQLite adapter of the storage port (better-sqlite3, WAL). Calls are synchronous underneath;
 * the methods return promises because the PostgreSQL adapter's are asynchronous, and a thrown SQLite error
 * becomes a rejection.
 */
import { statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { randomHexToken } from "../../../crypto/index.js";
import { runMigrations } from "../../../migrations/runner.js";
import { sqliteTarget } from "../../../migrations/sqlite.js";
import { SQLITE_MIGRATIONS } from "../migrations/sqlite.js";
import type { Store } from "../port/index.js";
import { Checkpointer } from "./checkpointer.js";
import { claimMethods } from "./claims.js";
import { SqliteContext, WAL_CHECKPOINT_PAGES, openDatabase } from "./db.js";
import { deliveryMethods } from "./deliveries.js";
import { inviteMethods } from "./invites.js";
import { limitMethods } from "./limits.js";
import { memberMethods } from "./members.js";
import { meshInfoMethods } from "./mesh-info.js";
import { stateMethods } from "./state.js";
import { messageMethods } from "./messages.js";
import { presenceMethods } from "./presences.js";
import { sweepMethods } from "./sweep.js";
import { memoryMethods } from "./memory.js";
import { skillMethods } from "./skills.js";
import { taskMethods } from "./tasks.js";
import { leaseMethods } from "./leases.js";
import { auditMethods } from "./audit.js";
import { topicMethods } from "./topics.js";
import { fileMethods } from "./files.js";
import { diskBlobs } from "../blobs/disk.js";
import { scheduleMethods } from "./schedules.js";
import { ownedRowMethods } from "./owned-rows.js";

/**
 * Free space the probe asks for beyond its own write. A one-row write fits in a page a nearly full disk
 * still has, while the next batch of sends (up to 64 KiB each) does not; without a margin the store would
 * flap between failing and recovered on every send.
 */
const PROBE_HEADROOM_BYTES = 4 * 1024 * 1024;

function isMemory(path: string): boolean {
  return path === ":memory:" || path === "";
}

/** Throws like a full disk when the filesystem holding `path` has less than the headroom free. */
function assertHeadroom(path: string): void {
  if (isMemory(path)) return;
  const fs = statfsSync(dirname(path));
  const free = fs.bavail * fs.bsize;
  if (free < PROBE_HEADROOM_BYTES) {
    throw Object.assign(
      new Error(
        `database or disk is full (${free} bytes free on ${dirname(path)}, want ${PROBE_HEADROOM_BYTES})`,
      ),
      { code: "SQLITE_FULL" },
    );
  }
}

export interface SqliteStoreOptions {
  /** Database file, created when missing; ":memory:" for a private in-memory database. */
  path: string;
  /**
   * Checkpoint the WAL on a worker thread instead of inside commits (a file database only); told of a
   * background checkpoint that failed. The broker's store does; short-lived ones need not.
   */
  backgroundCheckpoints?: { onError: (message: string) => void };
  /**
   * Where file bytes go. @default `files/` beside the database file (a private temp directory for an
   * in-memory database)
   */
  filesDir?: string;
}

function defaultFilesDir(path: string): string {
  return isMemory(path)
    ? join(tmpdir(), `claudemesh-files-${randomHexToken(8)}`)
    : join(dirname(path), "files");
}

/** Opens (creating if needed) a SQLite store. Call `migrate()` before anything but `ping()`/`close()`. */
export function createSqliteStore({ path, backgroundCheckpoints, filesDir }: SqliteStoreOptions): Store {
  const db = openDatabase(path);
  const ctx = new SqliteContext(db);
  let checkpointer: Checkpointer | null = null;
  const ping = db.prepare("SELECT 1");
  const adoptHash = ctx.statements((d) => ({
    insert: d.prepare(
      "INSERT INTO broker_settings (name, value) VALUES ('admin_token_sha256', ?) ON CONFLICT DO NOTHING",
    ),
    read: d.prepare<[], { value: string }>(
      "SELECT value FROM broker_settings WHERE name = 'admin_token_sha256'",
    ),
  }));
  const probe = ctx.statements((d) =>
    d.prepare(
      "INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
    ),
  );

  // TRUNCATE, not the automatic PASSIVE checkpoint: it also shrinks the -wal file to zero bytes, so
  // space the WAL grew into (say, during a burst before a disk filled) is handed back.
  async function truncateLog(): Promise<void> {
    if (checkpointer?.running) await checkpointer.truncate();
    else db.pragma("wal_checkpoint(TRUNCATE)");
  }

  return {
    kind: "sqlite",
    async migrate() {
      const applied = await runMigrations(sqliteTarget(db, `the database ${path}`), SQLITE_MIGRATIONS);
      ctx.markMigrated();
      if (backgroundCheckpoints && !isMemory(path) && !checkpointer) {
        checkpointer = new Checkpointer(path, backgroundCheckpoints.onError, () => {
          backgroundCheckpoints.onError(
            "the checkpoint worker ended; checkpoints run on the main connection",
          );
          if (db.open) db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
        });
        db.pragma("wal_autocheckpoint = 0");
      }
      return applied;
    },
    // Every SQLite commit is as durable as `durable: false` asks (see `openDatabase`).
    transaction: (work) => ctx.transaction(work),
    // One node, nobody to notify.
    notifyAtCommit: () => false,
    async close() {
      await checkpointer?.stop();
      if (db.open) db.close();
      checkpointer?.closeFile();
    },
    ...ctx.guard<Omit<Store, "kind" | "migrate" | "transaction" | "notifyAtCommit" | "close">>({
      async ping() {
        ping.get();
      },
      async probeWrite(now) {
        probe().run(now);
        try {
          assertHeadroom(path);
        } catch {
          // The log may hold space the database no longer needs (pages already copied in): hand it back
          // before deciding the disk is still full. A checkpoint that cannot run leaves the first answer.
          await truncateLog().catch(() => undefined);
          assertHeadroom(path);
        }
      },
      checkpoint: truncateLog,
      async adoptAdminTokenHash(hash) {
        const { insert, read } = adoptHash();
        insert.run(hash);
        const row = read.get();
        if (!row) throw new Error("broker_settings lost the admin token hash");
        return row.value;
      },
      ...memberMethods(ctx),
      ...inviteMethods(ctx),
      ...limitMethods(ctx),
      ...presenceMethods(ctx),
      ...messageMethods(ctx),
      ...claimMethods(ctx),
      ...deliveryMethods(ctx),
      ...sweepMethods(ctx),
      ...meshInfoMethods(ctx),
      ...stateMethods(ctx),
      ...memoryMethods(ctx),
      ...skillMethods(ctx),
      ...taskMethods(ctx),
      ...leaseMethods(ctx),
      ...auditMethods(ctx),
      ...topicMethods(ctx),
      ...fileMethods(ctx, diskBlobs(filesDir ?? defaultFilesDir(path))),
      ...scheduleMethods(ctx),
      ...ownedRowMethods(ctx),
    }),
  };
}
