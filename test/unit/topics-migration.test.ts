/**
 * The `topics` step on a database that already holds meshes (SQLite, and PostgreSQL when
 * `TEST_DATABASE_URL` is set): every mesh gets its public, keyless `general` topic with all its active
 * members, the owner as lead; revoked members are left out.
 */
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { POSTGRES_MIGRATIONS } from "../../src/broker/store/migrations/postgres.js";
import { SQLITE_MIGRATIONS } from "../../src/broker/store/migrations/sqlite.js";
import type { Store } from "../../src/broker/store/port/index.js";
import { connect } from "../../src/broker/store/postgres/db.js";
import { createPostgresStore } from "../../src/broker/store/postgres/index.js";
import { createSqliteStore } from "../../src/broker/store/sqlite/index.js";
import { postgresTarget } from "../../src/migrations/postgres.js";
import { runMigrations } from "../../src/migrations/runner.js";
import { sqliteTarget } from "../../src/migrations/sqlite.js";
import { T0 } from "../contract/store/fixtures.js";

const TOPICS_SQLITE = 10;
const TOPICS_POSTGRES = 7;

/** Two meshes: `m1` with its owner, a member and a revoked member; `m2` with its owner alone. */
const ROWS = {
  meshes: [
    ["m1", "o1"],
    ["m2", "o2"],
  ],
  members: [
    ["o1", "m1", "owner", null],
    ["a1", "m1", "member", null],
    ["r1", "m1", "member", T0 + 5],
    ["o2", "m2", "owner", null],
  ],
} as const;

async function expectGeneral(store: Store): Promise<void> {
  const general = await store.findTopic("m1", "general");
  expect(general).toMatchObject({ meshId: "m1", name: "general", visibility: "public", keyId: null });
  const members = await store.listTopicMembers(general!.id);
  expect(members.map((m) => [m.memberId, m.role, m.joinedAt]).sort()).toEqual([
    ["a1", "member", T0 + 1],
    ["o1", "lead", T0],
  ]);
  const other = await store.findTopic("m2", "general");
  expect(other?.id).not.toBe(general!.id);
  expect((await store.listTopicMembers(other!.id)).map((m) => m.memberId)).toEqual(["o2"]);
}

describe("the topics step on existing meshes", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("SQLite: every mesh gets general with its active members", async () => {
    const dir = mkdtempSync(join(tmpdir(), "claudemesh-topics-"));
    dirs.push(dir);
    const path = join(dir, "broker.db");
    const db = new Database(path);
    await runMigrations(
      sqliteTarget(db, "test"),
      SQLITE_MIGRATIONS.filter((m) => m.version < TOPICS_SQLITE),
    );
    db.transaction(() => {
      for (const [id, owner] of ROWS.meshes)
        db.prepare(
          "INSERT INTO meshes (id, name, slug, owner_member_id, created_at) VALUES (?, ?, ?, ?, ?)",
        ).run(id, id, id, owner, T0);
      ROWS.members.forEach(([id, mesh, role, revoked], i) =>
        db
          .prepare(
            "INSERT INTO members (id, mesh_id, pubkey, display_name, role, joined_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
          )
          .run(id, mesh, randomBytes(32).toString("hex"), id, role, T0 + (i % 3), revoked),
      );
    })();
    db.close();

    const store = createSqliteStore({ path });
    try {
      expect(await store.migrate()).toEqual(
        SQLITE_MIGRATIONS.filter((m) => m.version >= TOPICS_SQLITE).map((m) => m.name),
      );
      await expectGeneral(store);
    } finally {
      await store.close();
    }
  });

  const url = process.env.TEST_DATABASE_URL;
  it.skipIf(!url)("PostgreSQL: every mesh gets general with its active members", async () => {
    const schema = `cm_test_${randomBytes(6).toString("hex")}`;
    const sql = connect({ url: url!, schema });
    try {
      await runMigrations(
        postgresTarget(sql, { label: "test", schema }),
        POSTGRES_MIGRATIONS.filter((m) => m.version < TOPICS_POSTGRES),
      );
      await sql.begin(async (tx) => {
        for (const [id, owner] of ROWS.meshes)
          await tx`INSERT INTO meshes (id, name, slug, owner_member_id, created_at)
            VALUES (${id}, ${id}, ${id}, ${owner}, ${T0})`;
        for (const [i, [id, mesh, role, revoked]] of ROWS.members.entries())
          await tx`INSERT INTO members (id, mesh_id, pubkey, display_name, role, joined_at, revoked_at)
            VALUES (${id}, ${mesh}, ${randomBytes(32).toString("hex")}, ${id}, ${role}, ${T0 + (i % 3)}, ${revoked})`;
      });
      const store = createPostgresStore({ url: url!, schema });
      try {
        expect(await store.migrate()).toEqual(
          POSTGRES_MIGRATIONS.filter((m) => m.version >= TOPICS_POSTGRES).map((m) => m.name),
        );
        await expectGeneral(store);
      } finally {
        await store.close();
      }
    } finally {
      await sql.end();
      const admin = postgres(url!, { max: 1, onnotice: () => undefined });
      await admin`DROP SCHEMA IF EXISTS ${admin(schema)} CASCADE`;
      await admin.end();
    }
  });
});
