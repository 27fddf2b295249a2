import Database from "better-sqlite3";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SQLITE_MIGRATIONS } from "../../src/broker/store/migrations/sqlite.js";
import { openDatabase } from "../../src/broker/store/sqlite/db.js";
import { createSqliteStore } from "../../src/broker/store/sqlite/index.js";
import { runMigrations, schemaVersion } from "../../src/broker/store/sqlite/migrate.js";
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
    it("migrates a fresh database and records each version once", () => {
      const db = new Database(join(tempDir(), "m.db"));
      try {
        expect(schemaVersion(db)).toBe(0);
        expect(runMigrations(db, SQLITE_MIGRATIONS, () => T0)).toEqual(
          SQLITE_MIGRATIONS.map((m) => m.version),
        );
        const rows = db
          .prepare("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
          .all();
        expect(rows).toEqual(
          SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied_at: T0 })),
        );
        expect(runMigrations(db, SQLITE_MIGRATIONS, () => T0 + 1)).toEqual([]);
        expect(db.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({
          n: SQLITE_MIGRATIONS.length,
        });
        expect(schemaVersion(db)).toBe(SQLITE_MIGRATIONS.length);
      } finally {
        db.close();
      }
    });

    it("applies only the missing steps", () => {
      const db = new Database(":memory:");
      try {
        const extra = [
          ...SQLITE_MIGRATIONS,
          { version: SQLITE_MIGRATIONS.length + 1, name: "extra", sql: "CREATE TABLE extra (x)" },
        ];
        runMigrations(db, SQLITE_MIGRATIONS);
        expect(runMigrations(db, extra)).toEqual([extra.length]);
        expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get()).toEqual({
          name: "extra",
        });
      } finally {
        db.close();
      }
    });

    it("rolls back a failing step and records nothing for it", () => {
      const db = new Database(":memory:");
      try {
        const broken = [
          ...SQLITE_MIGRATIONS,
          {
            version: SQLITE_MIGRATIONS.length + 1,
            name: "bad",
            sql: "CREATE TABLE half (x); SELEC nonsense",
          },
        ];
        expect(() => runMigrations(db, broken)).toThrow();
        expect(schemaVersion(db)).toBe(SQLITE_MIGRATIONS.length);
        expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
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
        await expect(reopened.migrate()).rejects.toThrow(
          /schema version 999 is newer than this claudemesh supports/,
        );
      } finally {
        await reopened.close();
      }
    });

    it("refuses a migration list that is not numbered 1, 2, 3", () => {
      const db = new Database(":memory:");
      try {
        expect(() => runMigrations(db, [{ version: 2, name: "gap", sql: "" }])).toThrow(
          /migration list is broken/,
        );
      } finally {
        db.close();
      }
    });
  });
});
