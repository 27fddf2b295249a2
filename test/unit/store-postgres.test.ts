/**
 * The store contract against a real PostgreSQL (`TEST_DATABASE_URL`; `.ci/run` starts one), each test in a
 * fresh schema dropped after it, plus what is PostgreSQL's own: migrations under the advisory lock, and
 * claims and invite claims racing on separate pools (as separate brokers would).
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_MIGRATIONS } from "../../src/broker/store/migrations/postgres.js";
import type { Store } from "../../src/broker/store/port/index.js";
import { connect } from "../../src/broker/store/postgres/db.js";
import { createPostgresStore } from "../../src/broker/store/postgres/index.js";
import { runMigrations, schemaVersion } from "../../src/broker/store/postgres/migrate.js";
import { racingStoresContract, runStoreContract } from "../contract/store-contract.js";
import { T0 } from "../contract/store/fixtures.js";

const url = process.env.TEST_DATABASE_URL;
if (!url)
  console.warn("store-postgres: TEST_DATABASE_URL is not set; the PostgreSQL store tests are skipped");

const schemas = new Map<Store, string>();

function freshSchema(): string {
  return `cm_test_${randomBytes(6).toString("hex")}`;
}

async function dropSchema(schema: string): Promise<void> {
  if (!url) return;
  const admin = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await admin`DROP SCHEMA IF EXISTS ${admin(schema)} CASCADE`;
  } finally {
    await admin.end();
  }
}

function storeInFreshSchema(dbUrl: string): Store {
  const schema = freshSchema();
  const store = createPostgresStore({ url: dbUrl, schema });
  schemas.set(store, schema);
  return store;
}

async function dropStoreSchema(store: Store): Promise<void> {
  const schema = schemas.get(store);
  schemas.delete(store);
  if (schema) await dropSchema(schema);
}

describe.skipIf(!url)("postgres store", () => {
  const dbUrl = url ?? "";

  runStoreContract("postgres", async () => storeInFreshSchema(dbUrl), dropStoreSchema);

  // Two stores (two pools) on one schema: what two brokers sharing the database see.
  racingStoresContract(async () => {
    const schema = freshSchema();
    const a = createPostgresStore({ url: dbUrl, schema });
    const b = createPostgresStore({ url: dbUrl, schema });
    return { stores: [a, b], cleanup: () => dropSchema(schema) };
  });

  describe("postgres store", () => {
    const scratch: string[] = [];
    let sql: ReturnType<typeof connect> | null = null;
    let schema = "";

    beforeAll(() => {
      schema = freshSchema();
      scratch.push(schema);
      sql = connect({ url: dbUrl, schema });
    });

    afterAll(async () => {
      await sql?.end();
      for (const s of scratch.splice(0)) await dropSchema(s);
    });

    const db = () => {
      if (!sql) throw new Error("no connection");
      return sql;
    };

    afterEach(async () => {
      await db()`DROP SCHEMA IF EXISTS ${db()(schema)} CASCADE`;
    });

    it("migrates a fresh schema once, and several brokers starting at once migrate it once", async () => {
      expect(await schemaVersion(db())).toBe(0);
      const pools = Array.from({ length: 4 }, () => connect({ url: dbUrl, schema }));
      try {
        const applied = await Promise.all(
          pools.map((p) => runMigrations(p, POSTGRES_MIGRATIONS, schema, () => T0)),
        );
        expect(applied.flat()).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      } finally {
        await Promise.all(pools.map((p) => p.end()));
      }
      const rows = await db()`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`;
      expect(rows.map((r) => ({ ...r }))).toEqual(
        POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name, appliedAt: T0 })),
      );
      expect(await runMigrations(db(), POSTGRES_MIGRATIONS, schema)).toEqual([]);
      expect(await schemaVersion(db())).toBe(POSTGRES_MIGRATIONS.length);
    });

    it("rolls back a failing step and records nothing for it", async () => {
      const broken = [
        ...POSTGRES_MIGRATIONS,
        {
          version: POSTGRES_MIGRATIONS.length + 1,
          name: "bad",
          sql: "CREATE TABLE half (x int); SELEC nonsense",
        },
      ];
      await expect(runMigrations(db(), broken, schema)).rejects.toThrow();
      expect(await schemaVersion(db())).toBe(0);
      await runMigrations(db(), POSTGRES_MIGRATIONS, schema);
      await expect(runMigrations(db(), broken, schema)).rejects.toThrow();
      expect(await schemaVersion(db())).toBe(POSTGRES_MIGRATIONS.length);
      expect((await db()`SELECT to_regclass('half') IS NULL AS gone`)[0]).toEqual({ gone: true });
    });

    it("refuses a database migrated by a newer claudemesh", async () => {
      await runMigrations(db(), POSTGRES_MIGRATIONS, schema);
      await db()`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', ${T0})`;
      const store = createPostgresStore({ url: dbUrl, schema });
      try {
        await expect(store.migrate()).rejects.toThrow(
          /schema version 999 is newer than this claudemesh supports/,
        );
      } finally {
        await store.close();
      }
    });

    it("reports an unreachable server as a storage fault (SQLSTATE 08006), and closes twice", async () => {
      // Port 1 on loopback: nothing listens there.
      const store = createPostgresStore({ url: "postgres://postgres@127.0.0.1:1/postgres", schema });
      try {
        expect(store.kind).toBe("postgres");
        await expect(store.ping()).rejects.toMatchObject({ code: "08006" });
        await expect(store.migrate()).rejects.toMatchObject({
          code: "08006",
          message: expect.stringMatching(/PostgreSQL unreachable/),
        });
      } finally {
        await store.close();
        await store.close();
      }
    });
  });
});
