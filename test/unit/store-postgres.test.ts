/**
 * The store contract against a real PostgreSQL (`TEST_DATABASE_URL`; `.ci/run` starts one), each test in a
 * fresh schema dropped after it, plus what is PostgreSQL's own: migrations under the advisory lock, and
 * claims and invite claims racing on separate pools (as separate brokers would).
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { POSTGRES_MIGRATIONS } from "../../src/broker/store/migrations/postgres.js";
import type { Store } from "../../src/broker/store/port/index.js";
import { PgContext, connect } from "../../src/broker/store/postgres/db.js";
import { createPostgresStore } from "../../src/broker/store/postgres/index.js";
import { postgresTarget } from "../../src/migrations/postgres.js";
import { runMigrations } from "../../src/migrations/runner.js";
import { racingStoresContract, runStoreContract } from "../contract/store-contract.js";
import { DAY_MS, T0, dmToMember, seedPeer, sender } from "../contract/store/fixtures.js";

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

    const records = async () =>
      (await db()`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`).map((r) => ({
        ...r,
      }));

    it("a transaction that need not be durable commits without waiting for the log flush; others wait", async () => {
      const ctx = new PgContext(db());
      const setting = () =>
        ctx.run(
          false,
          async (d) => (await d<{ s: string }[]>`SELECT current_setting('synchronous_commit') AS s`)[0]?.s,
        );
      expect(await ctx.transaction(setting, { durable: false })).toBe("off");
      expect(await ctx.transaction(setting)).toBe("on");
      // A transaction joined from inside keeps the open one's setting.
      expect(await ctx.transaction(() => ctx.transaction(setting), { durable: false })).toBe("off");
      // The setting is the transaction's own: the connection goes back to the pool as it was.
      expect(await setting()).toBe("on");
    });

    it("a notice sent at commit arrives when the transaction commits, never when it rolls back", async () => {
      const ctx = new PgContext(db());
      const channel = `notify_test_${schema}`;
      const heard: string[] = [];
      const listening = await db().listen(channel, (payload) => heard.push(payload));
      try {
        // Outside a transaction there is nothing to send it with: the caller sends it its own way.
        expect(ctx.notifyAtCommit(channel, "outside")).toBe(false);
        await expect(
          ctx.transaction(async () => {
            expect(ctx.notifyAtCommit(channel, "rolled back")).toBe(true);
            throw new Error("work failed");
          }),
        ).rejects.toThrow("work failed");
        await ctx.transaction(async () => {
          expect(ctx.notifyAtCommit(channel, "committed")).toBe(true);
          await ctx.run(false, (d) => d`SELECT 1`);
        });
        // A notice sent after both, on its own: once it is heard, anything the transactions sent is too.
        await db().notify(channel, "marker");
        await vi.waitFor(() => expect(heard).toContain("marker"));
        expect(heard).toEqual(["committed", "marker"]);
      } finally {
        await listening.unlisten();
      }
    });

    it("the retention sweep deletes a message's deliveries with it (no foreign key cascades them)", async () => {
      const store = createPostgresStore({ url: dbUrl, schema });
      try {
        await store.migrate();
        const { mesh, peer } = await seedPeer(store);
        const from = sender(mesh.owner);
        const old = dmToMember(from, peer, { createdAt: T0 });
        const recent = dmToMember(from, peer, { createdAt: T0 + DAY_MS });
        await store.acceptMessages([old, recent]);
        expect(await store.sweep(T0 + 7 * DAY_MS, 1_000)).toMatchObject({ deletedMessages: 1 });
        const left = await db()<{ id: string }[]>`
          SELECT m.id FROM deliveries d LEFT JOIN messages m ON m.seq = d.message_seq`;
        expect(left.map((r) => r.id)).toEqual([recent.message.id]);
      } finally {
        await store.close();
      }
    });

    it("migrates a fresh schema once, and several brokers starting at once migrate it once", async () => {
      const stores = Array.from({ length: 4 }, () => createPostgresStore({ url: dbUrl, schema }));
      try {
        const applied = await Promise.all(stores.map((s) => s.migrate()));
        expect(applied.flat()).toEqual(POSTGRES_MIGRATIONS.map((m) => m.name));
        expect(await stores[0]?.migrate()).toEqual([]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
      expect((await records()).map(({ version, name }) => ({ version, name }))).toEqual(
        POSTGRES_MIGRATIONS.map(({ version, name }) => ({ version, name })),
      );
    });

    it("adopts a schema the earlier runner migrated: nothing re-runs, the data stays, new steps apply", async () => {
      // What the runner before the shared one (`store/postgres/migrate.ts`) left: every step applied in one
      // transaction, with a `schema_migrations` row each.
      await db().begin(async (tx) => {
        await tx`CREATE SCHEMA IF NOT EXISTS ${tx(schema)}`;
        await tx`
          CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL
          )`;
        for (const step of POSTGRES_MIGRATIONS) {
          await tx.unsafe(step.sql);
          await tx`
            INSERT INTO schema_migrations (version, name, applied_at)
            VALUES (${step.version}, ${step.name}, ${T0})`;
        }
      });
      await db()`INSERT INTO health_probe (id, at) VALUES (1, ${T0})`;
      const before = await records();

      const store = createPostgresStore({ url: dbUrl, schema });
      try {
        expect(await store.migrate()).toEqual([]);
      } finally {
        await store.close();
      }
      expect(await records()).toEqual(before);
      expect((await db()`SELECT id, at FROM health_probe`).map((r) => ({ ...r }))).toEqual([
        { id: 1, at: T0 },
      ]);

      const next = {
        version: POSTGRES_MIGRATIONS.length + 1,
        name: "next",
        sql: "CREATE TABLE next (x int)",
      };
      const target = postgresTarget(db(), { label: "test", schema });
      expect(await runMigrations(target, [...POSTGRES_MIGRATIONS, next])).toEqual(["next"]);
      expect((await records()).slice(0, before.length)).toEqual(before);
    });

    it("refuses a database migrated by a newer claudemesh", async () => {
      const first = createPostgresStore({ url: dbUrl, schema });
      await first.migrate();
      await first.close();
      await db()`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', ${T0})`;
      const store = createPostgresStore({ url: dbUrl, schema });
      try {
        await expect(store.migrate()).rejects.toMatchObject({
          code: "database_too_new",
          message: expect.stringMatching(
            new RegExp(
              `\\(schema ${schema}\\) was written by a newer claudemesh: it records "future", unknown to this version$`,
            ),
          ),
        });
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
