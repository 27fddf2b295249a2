/**
 * The migration runner (`src/migrations/`), one scenario suite against each target: SQLite on a temp file,
 * and PostgreSQL in a fresh schema (`TEST_DATABASE_URL`). Then what is SQLite's own: adopting a database
 * whose steps were counted in `PRAGMA user_version`.
 */
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Migration, MigrationTarget } from "../../src/migrations/migration.js";
import { postgresTarget } from "../../src/migrations/postgres.js";
import { runMigrations } from "../../src/migrations/runner.js";
import { sqliteTarget } from "../../src/migrations/sqlite.js";

const T0 = 1_700_000_000_000;
const now = (): number => T0;

const STEPS: readonly Migration[] = [
  { version: 1, name: "first", sql: "CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER)" },
  { version: 2, name: "second", sql: "CREATE TABLE c (z INTEGER)" },
];
const THIRD: Migration = { version: 3, name: "third", sql: "CREATE TABLE d (w INTEGER)" };
const BROKEN: Migration = {
  version: 3,
  name: "broken",
  sql: "CREATE TABLE half (x INTEGER); SELEC nonsense",
};

interface Record {
  version: number;
  name: string;
  appliedAt: number;
}

/** One database of one kind, seen from outside the runner. */
interface Backend {
  /** A target on a connection of its own (as another process would have). */
  target(): MigrationTarget;
  records(): Promise<Record[]>;
  hasTable(name: string): Promise<boolean>;
  /** Writes a record as another version of claudemesh would have. */
  addRecord(version: number, name: string): Promise<void>;
  close(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), "cm-migrations-"));
  const path = join(dir, "m.db");
  const connections: Database.Database[] = [];
  const connection = (): Database.Database => {
    const db = new Database(path);
    db.pragma("busy_timeout = 5000");
    connections.push(db);
    return db;
  };
  const main = connection();
  return {
    target: () => sqliteTarget(connection(), `the database ${path}`),
    async records() {
      return main
        .prepare<[], Record>(
          "SELECT version, name, applied_at AS appliedAt FROM schema_migrations ORDER BY version",
        )
        .all();
    },
    async hasTable(name) {
      return (
        main.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
      );
    },
    async addRecord(version, name) {
      main
        .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
        .run(version, name, T0);
    },
    async close() {
      for (const db of connections) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(url: string): Backend {
  const schema = `cm_test_${randomBytes(6).toString("hex")}`;
  const pools: postgres.Sql[] = [];
  const pool = (): postgres.Sql => {
    const sql = postgres(url, {
      max: 2,
      onnotice: () => undefined,
      connection: { search_path: `"${schema}"` },
      types: { bigint: postgres.BigInt },
    });
    pools.push(sql);
    return sql;
  };
  const main = pool();
  return {
    target: () => postgresTarget(pool(), { label: `schema ${schema}`, schema }),
    async records() {
      const rows = await main<{ version: number; name: string; applied_at: bigint }[]>`
        SELECT version, name, applied_at FROM schema_migrations ORDER BY version`;
      return rows.map((r) => ({ version: r.version, name: r.name, appliedAt: Number(r.applied_at) }));
    },
    async hasTable(name) {
      const [row] = await main<{ present: boolean }[]>`SELECT to_regclass(${name}) IS NOT NULL AS present`;
      return row?.present === true;
    },
    async addRecord(version, name) {
      await main`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${version}, ${name}, ${T0})`;
    },
    async close() {
      await main`DROP SCHEMA IF EXISTS ${main(schema)} CASCADE`;
      await Promise.all(pools.map((p) => p.end()));
    },
  };
}

const url = process.env.TEST_DATABASE_URL;
if (!url) console.warn("migrations: TEST_DATABASE_URL is not set; the PostgreSQL runs are skipped");

const backends: { name: string; open: (() => Backend) | null }[] = [
  { name: "sqlite", open: sqliteBackend },
  { name: "postgres", open: url ? () => postgresBackend(url) : null },
];

for (const { name, open } of backends) {
  describe.skipIf(open === null)(`migration runner: ${name}`, () => {
    let backend: Backend;

    beforeEach(() => {
      if (open === null) throw new Error("skipped backend");
      backend = open();
    });
    afterEach(async () => {
      await backend.close();
    });

    it("applies every step of a fresh database in order, records each once, then has nothing to do", async () => {
      expect(await runMigrations(backend.target(), STEPS, { now })).toEqual(["first", "second"]);
      const records = STEPS.map((m) => ({ version: m.version, name: m.name, appliedAt: T0 }));
      expect(await backend.records()).toEqual(records);
      for (const table of ["a", "b", "c"]) expect(await backend.hasTable(table)).toBe(true);

      expect(await runMigrations(backend.target(), STEPS, { now: () => T0 + 1 })).toEqual([]);
      expect(await backend.records()).toEqual(records);
    });

    it("applies only the steps appended since the last run", async () => {
      await runMigrations(backend.target(), STEPS, { now });
      expect(await runMigrations(backend.target(), [...STEPS, THIRD], { now: () => T0 + 5 })).toEqual([
        "third",
      ]);
      expect(await backend.records()).toEqual([
        { version: 1, name: "first", appliedAt: T0 },
        { version: 2, name: "second", appliedAt: T0 },
        { version: 3, name: "third", appliedAt: T0 + 5 },
      ]);
      expect(await backend.hasTable("d")).toBe(true);
    });

    it("rolls back a failing step and records nothing for it; the steps before it stay", async () => {
      const failure = await runMigrations(backend.target(), [...STEPS, BROKEN], { now }).catch(
        (e: unknown) => e,
      );
      // The database's own error (its code tells a full disk or a lost connection), not umzug's wrapper.
      expect(failure).toBeInstanceOf(Error);
      expect(failure).toMatchObject({ code: expect.stringMatching(/^(SQLITE_ERROR|42601)$/) });
      expect((await backend.records()).map((r) => r.name)).toEqual(["first", "second"]);
      expect(await backend.hasTable("c")).toBe(true);
      expect(await backend.hasTable("half")).toBe(false);

      expect(await runMigrations(backend.target(), [...STEPS, THIRD], { now })).toEqual(["third"]);
    });

    it("refuses a database that records a step it does not know, before running anything", async () => {
      await runMigrations(backend.target(), STEPS, { now });
      await backend.addRecord(99, "future");
      const refused = runMigrations(backend.target(), [...STEPS, THIRD], { now });
      await expect(refused).rejects.toMatchObject({
        code: "database_too_new",
        message: expect.stringMatching(
          /was written by a newer claudemesh: it records "future", unknown to this version$/,
        ),
        hint: expect.stringMatching(/^upgrade claudemesh/),
      });
      expect(await backend.hasTable("d")).toBe(false);
      expect((await backend.records()).map((r) => r.name)).toEqual(["first", "second", "future"]);
    });

    it("migrates once when several runners start at once", async () => {
      const targets = Array.from({ length: 4 }, () => backend.target());
      const applied = await Promise.all(targets.map((t) => runMigrations(t, STEPS, { now })));
      expect(applied.flat().sort()).toEqual(["first", "second"]);
      expect((await backend.records()).map((r) => r.name)).toEqual(["first", "second"]);
    });
  });
}

describe("migration runner: the list", () => {
  const unused: MigrationTarget = {
    label: "nothing",
    withLock: () => Promise.reject(new Error("a broken list must be refused before the database is touched")),
  };

  it("refuses a list not numbered 1, 2, 3, … or with a repeated name", async () => {
    await expect(runMigrations(unused, [{ version: 2, name: "gap", sql: "" }])).rejects.toThrow(
      /migration list is broken: entry 0 has version 2, expected 1/,
    );
    await expect(
      runMigrations(unused, [
        { version: 1, name: "same", sql: "" },
        { version: 2, name: "same", sql: "" },
      ]),
    ).rejects.toThrow(/the name "same" is used twice/);
  });
});

describe("migration runner: a SQLite file whose steps were counted in user_version", () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cm-migrations-"));
    path = join(dir, "old.db");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A file as the daemon's runner before this one left it: the first step applied, counted, and data. */
  function counted(version: number): void {
    const db = new Database(path);
    db.exec(STEPS[0]?.sql ?? "");
    db.prepare("INSERT INTO a (x) VALUES (?)").run(42);
    db.pragma(`user_version = ${version}`);
    db.close();
  }

  it("is adopted: the counted steps are recorded without running, the rest apply, the data stays", async () => {
    counted(1);
    const db = new Database(path);
    try {
      const applied = await runMigrations(sqliteTarget(db, path), [...STEPS, THIRD], { now });
      expect(applied).toEqual(["second", "third"]);
      expect(db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all()).toEqual([
        { version: 1, name: "first" },
        { version: 2, name: "second" },
        { version: 3, name: "third" },
      ]);
      expect(db.prepare("SELECT x FROM a").all()).toEqual([{ x: 42 }]);
      // Kept in step, so a claudemesh from before the shared runner still knows how far the schema is.
      expect(db.pragma("user_version", { simple: true })).toBe(3);
    } finally {
      db.close();
    }
  });

  it("counting more steps than the list has is refused as newer, and left as it was", async () => {
    counted(5);
    const db = new Database(path);
    try {
      await expect(runMigrations(sqliteTarget(db, path), STEPS, { now })).rejects.toMatchObject({
        code: "database_too_new",
        message: expect.stringMatching(/records schema version 5; this version knows 2$/),
      });
      expect(db.prepare("SELECT x FROM a").all()).toEqual([{ x: 42 }]);
      expect(db.pragma("user_version", { simple: true })).toBe(5);
      expect(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'c'").get()).toBeUndefined();
    } finally {
      db.close();
    }
  });
});
