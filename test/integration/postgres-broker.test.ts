/**
 * A real broker process on PostgreSQL (`claudemesh broker --database-url`): two peers exchange DMs through
 * it, and the rows are in the database, not in the data dir. It runs against a fresh database on the
 * server of `TEST_DATABASE_URL` (`.ci/run` starts one), dropped afterwards; without that variable the
 * suite is skipped. A database that cannot be reached is refused with a clear error either way.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AppClient, meshWith, startBroker, useBroker } from "../helpers/broker.js";
import {
  postgresAvailable,
  socketAvailable,
  socketUrl,
  useFreshDatabase,
  withDatabase,
} from "../helpers/postgres.js";

describe.skipIf(!postgresAvailable("broker on PostgreSQL"))("broker on PostgreSQL", () => {
  const url = useFreshDatabase();
  const broker = useBroker({ databaseUrl: url });

  it("two peers exchange DMs, and the broker's rows are in PostgreSQL", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await AppClient.connect(broker().url, mesh.meshId, m.alice!);
    const bob = await AppClient.connect(broker().url, mesh.meshId, m.bob!);
    const ack = await alice.client.sendDirect(m.bob!.pubkey, "hello bob", { clientMessageId: "pg-1" });
    expect(ack).toMatchObject({ queued: true, recipientOnline: true });
    expect((await bob.waitFor(ack.messageId)).text).toBe("hello bob");
    const reply = await bob.client.sendDirect(m.alice!.pubkey, "hi alice");
    expect((await alice.waitFor(reply.messageId)).text).toBe("hi alice");

    const stored = () =>
      withDatabase(url, async (sql) => {
        const rows = await sql<{ id: string; state: string }[]>`
          SELECT m.id, d.state FROM messages m JOIN deliveries d ON d.message_seq = m.seq ORDER BY d.id`;
        return rows.map((r) => [r.id, r.state]);
      });
    // Acks reach the database too (the SDK acks after its handler ran).
    await expect.poll(stored).toEqual([
      [ack.messageId, "delivered"],
      [reply.messageId, "delivered"],
    ]);
    expect(existsSync(join(broker().dataDir, "broker.db"))).toBe(false);
  });
});

describe.skipIf(!socketAvailable("broker on PostgreSQL's Unix socket"))(
  "broker on PostgreSQL's Unix socket",
  () => {
    const url = useFreshDatabase();
    // The same database through the socket directory, as libpq writes it: postgres:///db?host=/dir&port=…
    const broker = useBroker({ databaseUrl: socketUrl(new URL(url).pathname.slice(1)) });

    it("reaches the server through the socket, and two peers exchange a DM", async () => {
      const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
      const alice = await AppClient.connect(broker().url, mesh.meshId, m.alice!);
      const bob = await AppClient.connect(broker().url, mesh.meshId, m.bob!);
      const ack = await alice.client.sendDirect(m.bob!.pubkey, "over the socket");
      expect((await bob.waitFor(ack.messageId)).text).toBe("over the socket");
      const sockets = await withDatabase(url, async (sql) => {
        const rows = await sql<{ n: number }[]>`
        SELECT COUNT(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'claudemesh-broker%' AND client_port = -1`;
        return rows[0]?.n ?? 0;
      });
      // client_port -1: the connection came through a Unix socket.
      expect(sockets).toBeGreaterThan(0);
    });
  },
);

describe("broker with an unusable --database-url", () => {
  it("exits with the server (never the password) and what to check", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cm-broker-"));
    const failure = await startBroker({
      dataDir,
      databaseUrl: "postgres://cm:s3cret-pw@127.0.0.1:1/claudemesh",
    }).then(
      async (broker) => {
        await broker.dispose();
        return "the broker started";
      },
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    rmSync(dataDir, { recursive: true, force: true });
    expect(failure).toMatch(/cannot use the PostgreSQL database 127\.0\.0\.1:1\/claudemesh/);
    expect(failure).toMatch(/--database-url/);
    expect(failure).not.toContain("s3cret-pw");
  });

  it("names a socket directory with no server in it, never the password", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cm-broker-"));
    const failure = await startBroker({
      dataDir,
      databaseUrl: `postgres:///claudemesh?host=${encodeURIComponent(dataDir)}&user=cm&password=s3cret-pw`,
    }).then(
      async (broker) => {
        await broker.dispose();
        return "the broker started";
      },
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    rmSync(dataDir, { recursive: true, force: true });
    expect(failure).toContain(`cannot use the PostgreSQL database ${dataDir}:5432/claudemesh`);
    expect(failure).not.toContain("s3cret-pw");
  });
});
