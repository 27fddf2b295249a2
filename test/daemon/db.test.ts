/**
 * The daemon's databases on the shared migration runner, opened over files its runner before that left:
 * steps counted in `PRAGMA user_version`, no `schema_migrations` table.
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InboxStore } from "../../src/daemon/inbox/store.js";
import { OutboxStore } from "../../src/daemon/outbox/store.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cm-daemon-db-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Turns a file written by the current runner into what the earlier one left: tables and a count, without
 * the tables of steps added since (`later`).
 */
function asBeforeTheSharedRunner(path: string, userVersion: number, later: string[] = []): void {
  const db = new Database(path);
  db.exec("DROP TABLE schema_migrations");
  for (const table of later) db.exec(`DROP TABLE ${table}`);
  db.pragma(`user_version = ${userVersion}`);
  db.close();
}

function tablesAndRecords(path: string): { tables: string[]; records: unknown[]; userVersion: unknown } {
  const db = new Database(path, { readonly: true });
  try {
    return {
      tables: db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((r) => r.name),
      records: db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all(),
      userVersion: db.pragma("user_version", { simple: true }),
    };
  } finally {
    db.close();
  }
}

describe("daemon databases from before the shared migration runner", () => {
  it("an outbox file opens with nothing re-run and its rows kept", async () => {
    const path = join(dir, "outbox.db");
    const first = await OutboxStore.open(path);
    first.cacheRoster("mesh-1", [{ pubkey: "a".repeat(64), name: "ada" }], 1_000);
    first.close();
    asBeforeTheSharedRunner(path, 1, ["member_status", "audit_heads"]);

    const reopened = await OutboxStore.open(path);
    try {
      expect(reopened.cachedRoster("mesh-1")).toEqual([{ pubkey: "a".repeat(64), name: "ada" }]);
    } finally {
      reopened.close();
    }
    // The counted step is not re-run; the steps added since are applied.
    expect(tablesAndRecords(path)).toEqual({
      tables: [
        "audit_heads",
        "member_status",
        "outbox",
        "roster_cache",
        "schema_migrations",
        "sqlite_sequence",
      ],
      records: [
        { version: 1, name: "initial" },
        { version: 2, name: "member status" },
        { version: 3, name: "audit heads" },
      ],
      userVersion: 3,
    });
  });

  it("an inbox file opens with nothing re-run and its messages kept", async () => {
    const path = join(dir, "inbox.db");
    const first = await InboxStore.open(path);
    const now = Date.now();
    first.insert({
      id: "m".repeat(32),
      dedupe_key: "m1|b|1",
      event_id: 7,
      mesh_id: "m1",
      mesh_slug: "one",
      client_message_id: null,
      session_pubkey: null,
      recipient_pubkey: null,
      from_name: "peer",
      from_pubkey: "f".repeat(64),
      from_session_pubkey: null,
      target_spec: "*",
      body: "kept",
      encrypted: true,
      undecryptable: false,
      priority: "next",
      topic: null,
      reply_to: null,
      sent_at: new Date(now).toISOString(),
      received_at: new Date(now).toISOString(),
      received_ms: now,
    });
    first.close();
    asBeforeTheSharedRunner(path, 1);

    const reopened = await InboxStore.open(path);
    try {
      expect(reopened.maxEventId()).toBe(7);
    } finally {
      reopened.close();
    }
    // The counted step is not re-run; the step added since (kept topic pushes) is applied.
    expect(tablesAndRecords(path)).toMatchObject({
      records: [
        { version: 1, name: "initial" },
        { version: 2, name: "held-topic-pushes" },
      ],
      userVersion: 2,
    });
  });

  it("a file counting more steps than this version has is refused as newer, not opened", async () => {
    const path = join(dir, "outbox.db");
    (await OutboxStore.open(path)).close();
    asBeforeTheSharedRunner(path, 4);

    await expect(OutboxStore.open(path)).rejects.toMatchObject({
      code: "database_too_new",
      message: `the daemon database ${path} was written by a newer claudemesh: it records schema version 4; this version knows 3`,
    });
  });
});
