import Database from "better-sqlite3";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SQLITE_MIGRATIONS } from "../../src/broker/store/migrations/sqlite.js";
import type { Migration } from "../../src/migrations/migration.js";
import { openDatabase } from "../../src/broker/store/sqlite/db.js";
import { createSqliteStore } from "../../src/broker/store/sqlite/index.js";
import { Checkpointer } from "../../src/broker/store/sqlite/checkpointer.js";
import type { Store } from "../../src/broker/store/port/index.js";
import { racingStoresContract, runStoreContract } from "../contract/store-contract.js";
import {
  LEASE_MS,
  T0,
  ack,
  claimedIds,
  dmToMember,
  memberScope,
  seedMesh,
  sender,
} from "../contract/store/fixtures.js";

const dirs = new Map<Store, string>();
const scratch: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "claudemesh-store-"));
  scratch.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

runStoreContract(
  "sqlite (temp file)",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "claudemesh-store-"));
    const store = createSqliteStore({ path: join(dir, "broker.db") });
    dirs.set(store, dir);
    return store;
  },
  async (store) => {
    const dir = dirs.get(store);
    dirs.delete(store);
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
);

racingStoresContract(async () => {
  const dir = mkdtempSync(join(tmpdir(), "claudemesh-store-"));
  const path = join(dir, "shared.db");
  return {
    stores: [createSqliteStore({ path }), createSqliteStore({ path })],
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe("sqlite store", () => {
  it("with background checkpoints: the worker copies the log in, truncate empties it, close stops it", async () => {
    const path = join(tempDir(), "broker.db");
    const errors: string[] = [];
    const store = createSqliteStore({ path, backgroundCheckpoints: { onError: (m) => errors.push(m) } });
    await store.migrate();
    const mesh = await seedMesh(store, 3);
    const [peer] = mesh.members;
    if (!peer) throw new Error("fixture");
    const before = statSync(path).size;
    const inputs = Array.from({ length: 50 }, () => dmToMember(sender(mesh.owner), peer));
    await store.acceptMessages(inputs);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    // Commits no longer checkpoint; only the worker's passive checkpoints grow the database file.
    await expect.poll(() => statSync(path).size).toBeGreaterThan(before);
    await store.checkpoint();
    expect(statSync(`${path}-wal`).size).toBe(0);
    const claimed = await store.claimDeliveries([memberScope(peer, "p")], T0, LEASE_MS, 100);
    expect(claimedIds(claimed)[0]).toHaveLength(50);
    await store.close();
    await store.close();
    await expect(store.checkpoint()).rejects.toThrow();
    expect(errors).toEqual([]);
  });

  it("a checkpoint worker that ended says so, and a truncate asked of it fails instead of waiting forever", async () => {
    const path = join(tempDir(), "broker.db");
    openDatabase(path).close();
    const errors: string[] = [];
    let lost = 0;
    const checkpointer = new Checkpointer(
      path,
      (m) => errors.push(m),
      () => lost++,
    );
    await checkpointer.truncate();
    // As if the thread died (out of memory, a native crash).
    await (checkpointer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect.poll(() => lost).toBe(1);
    expect(checkpointer.running).toBe(false);
    await expect(checkpointer.truncate()).rejects.toThrow("not running");
    await checkpointer.stop();
    checkpointer.closeFile();
    checkpointer.closeFile();
    expect(lost).toBe(1);
    expect(errors).toEqual([]);
  });

  it("a transaction waits for a write lock held elsewhere with the event loop free, then runs", async () => {
    const path = join(tempDir(), "broker.db");
    const store = createSqliteStore({ path });
    await store.migrate();
    const other = new Database(path);
    other.prepare("BEGIN IMMEDIATE").run();
    let settled = false;
    const done = store.transaction(async () => 42).finally(() => (settled = true));
    // Timers still fire while it waits (SQLite's busy handler would sleep the whole process).
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(settled).toBe(false);
    other.prepare("COMMIT").run();
    other.close();
    expect(await done).toBe(42);
    // Two asked for at once both run (the second joins the one the first opened).
    expect(await Promise.all([store.transaction(async () => 1), store.transaction(async () => 2)])).toEqual([
      1, 2,
    ]);
    await store.close();
  });

  it("works in memory (smoke)", async () => {
    const store = createSqliteStore({ path: ":memory:" });
    try {
      await store.migrate();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const input = dmToMember(sender(mesh.owner), peer);
      await store.acceptMessages([input]);
      const claimed = await store.claimDeliveries([memberScope(peer, "p")], T0, LEASE_MS, 10);
      expect(claimedIds(claimed)).toEqual([[input.message.id]]);
      expect(await store.ackDeliveries([ack(peer, "p", { broker: input.message.id })], T0)).toEqual([1]);
      expect(store.kind).toBe("sqlite");
    } finally {
      await store.close();
    }
  });

  it("opens files in WAL mode with foreign keys, NORMAL sync and a busy timeout, creating the directory", () => {
    const db = openDatabase(join(tempDir(), "new", "dir", "pragmas.db"));
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(db.pragma("synchronous", { simple: true })).toBe(1);
      expect(db.pragma("busy_timeout", { simple: true })).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  it("refuses to be used before migrate(), with a clear error", async () => {
    const store = createSqliteStore({ path: ":memory:" });
    try {
      await expect(store.getMesh("x")).rejects.toThrow(/before migrate\(\)/);
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
      await store.close();
    }
  });

  it("keeps claims disjoint across two connections to one file", async () => {
    const path = join(tempDir(), "shared.db");
    const a = createSqliteStore({ path });
    const b = createSqliteStore({ path });
    try {
      await a.migrate();
      await b.migrate();
      const mesh = await seedMesh(a, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const inputs = Array.from({ length: 30 }, () => dmToMember(sender(mesh.owner), peer));
      await a.acceptMessages(inputs);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? a : b).claimDeliveries([memberScope(peer, `p${i}`)], T0, LEASE_MS, 5),
        ),
      );
      const ids = results.flatMap((r) => claimedIds(r).flat());
      expect(new Set(ids).size).toBe(30);
    } finally {
      await a.close();
      await b.close();
    }
  });

  describe("migrations", () => {
    type Row = { version: number; name: string; applied_at: number };
    const records = (db: Database.Database): Row[] =>
      db.prepare<[], Row>("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").all();

    /**
     * What the runner before the shared one (`store/sqlite/migrate.ts`) left: the steps applied and a
     * `schema_migrations` row for each.
     */
    function migrateAsBefore(db: Database.Database, steps: readonly Migration[]): void {
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at INTEGER NOT NULL
      )`);
      for (const step of steps) {
        db.transaction(() => {
          db.exec(step.sql);
          db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
            step.version,
            step.name,
            T0,
          );
        }).immediate();
      }
    }

    it("migrates a fresh database with every step, and then has nothing to do", async () => {
      const path = join(tempDir(), "m.db");
      const store = createSqliteStore({ path });
      expect(await store.migrate()).toEqual(SQLITE_MIGRATIONS.map((m) => m.name));
      await store.close();
      const reopened = createSqliteStore({ path });
      expect(await reopened.migrate()).toEqual([]);
      await reopened.close();
      const db = new Database(path);
      try {
        expect(records(db).map(({ version, name }) => ({ version, name }))).toEqual(
          SQLITE_MIGRATIONS.map(({ version, name }) => ({ version, name })),
        );
      } finally {
        db.close();
      }
    });

    it("adopts a database the earlier runner migrated: nothing re-runs, the data stays, new steps apply", async () => {
      const path = join(tempDir(), "old.db");
      const old = new Database(path);
      const released = SQLITE_MIGRATIONS.slice(0, -1);
      migrateAsBefore(old, released);
      old.prepare("INSERT INTO health_probe (id, at) VALUES (1, ?)").run(T0);
      const before = records(old);
      old.close();

      const store = createSqliteStore({ path });
      try {
        expect(await store.migrate()).toEqual([SQLITE_MIGRATIONS.at(-1)?.name]);
      } finally {
        await store.close();
      }
      const db = new Database(path);
      try {
        expect(records(db).slice(0, released.length)).toEqual(before);
        expect(records(db).map((r) => r.name)).toEqual(SQLITE_MIGRATIONS.map((m) => m.name));
        expect(db.prepare("SELECT id, at FROM health_probe").all()).toEqual([{ id: 1, at: T0 }]);
      } finally {
        db.close();
      }
    });

    it("refuses a database migrated by a newer claudemesh", async () => {
      const path = join(tempDir(), "newer.db");
      const store = createSqliteStore({ path });
      await store.migrate();
      await store.close();
      const db = new Database(path);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', ?)").run(
        999,
        T0,
      );
      db.close();

      const reopened = createSqliteStore({ path });
      try {
        await expect(reopened.migrate()).rejects.toMatchObject({
          code: "database_too_new",
          message: `the database ${path} was written by a newer claudemesh: it records "future", unknown to this version`,
        });
      } finally {
        await reopened.close();
      }
    });
  });
});
