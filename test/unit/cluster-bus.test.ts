/**
 * The PostgreSQL cluster bus between two nodes on one database: notices reach the other node and not the
 * sender, large ones are split under the NOTIFY payload limit and arrive whole, malformed ones are
 * ignored, and an exclusive job runs on one node at a time. Skipped without `TEST_DATABASE_URL`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import type { ClusterBus, ClusterMessageOf } from "../../src/broker/cluster/bus.js";
import { createPostgresBus } from "../../src/broker/cluster/postgres.js";
import { createLogger } from "../../src/broker/log.js";
import { waitUntil } from "../helpers/deadline.js";
import { postgresAvailable, useFreshDatabase, withDatabase } from "../helpers/postgres.js";

const quiet = createLogger("silent", new Writable({ write: (_chunk, _enc, done) => done() }));

describe.skipIf(!postgresAvailable("cluster bus"))("cluster bus on PostgreSQL", () => {
  const url = useFreshDatabase("cm_bus");
  let a: ClusterBus;
  let b: ClusterBus;
  beforeAll(async () => {
    a = await createPostgresBus({ url, nodeId: "node-a", log: quiet });
    b = await createPostgresBus({ url, nodeId: "node-b", log: quiet });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it("an offer of 1,000 recipients and a drop of 2,000 presences arrive whole at the other node only", async () => {
    const offers: ClusterMessageOf<"offer">[] = [];
    const drops: ClusterMessageOf<"drop">[] = [];
    const echoed: string[] = [];
    a.on("offer", () => echoed.push("offer"));
    b.on("offer", (m) => offers.push(m));
    b.on("drop", (m) => drops.push(m));
    const recipients = Array.from({ length: 1_000 }, (_, i) => ({
      meshId: "mesh-1",
      recipientKind: "member" as const,
      recipientMemberId: `member-${i}`,
      recipientPubkey: "ab".repeat(32),
    }));
    a.publish({ kind: "offer", recipients });
    const presenceIds = Array.from({ length: 2_000 }, (_, i) => `presence-${i}-ééé`);
    a.publish({ kind: "drop", presenceIds, code: 4001, reason: "kicked", revokedMessage: null, evict: true });

    await waitUntil(() => offers.flatMap((o) => o.recipients).length === 1_000 || undefined);
    await waitUntil(() => drops.flatMap((d) => d.presenceIds).length === 2_000 || undefined);
    expect(offers.length).toBeGreaterThan(1);
    // Halves may travel on different connections: every entry arrives once, in some order.
    const ids = offers.flatMap((o) => o.recipients.map((r) => r.recipientMemberId));
    expect(ids.sort()).toEqual(recipients.map((r) => r.recipientMemberId).sort());
    expect(drops.flatMap((d) => d.presenceIds).sort()).toEqual([...presenceIds].sort());
    expect(drops.every((d) => d.code === 4001 && d.evict)).toBe(true);
    expect(echoed).toEqual([]);
  });

  it("ignores notices that are not ours or not well-formed", async () => {
    const seen: string[] = [];
    b.on("members", (m) => seen.push(m.meshId));
    await withDatabase(url, async (sql) => {
      await sql.notify("claudemesh_cluster", "not json");
      await sql.notify("claudemesh_cluster", JSON.stringify({ from: "x", m: { kind: "members" } }));
      await sql.notify("claudemesh_cluster", JSON.stringify({ from: "x", m: { kind: "nope", meshId: "m" } }));
    });
    a.publish({ kind: "members", meshId: "mesh-after" });
    await waitUntil(() => seen.length > 0 || undefined);
    expect(seen).toEqual(["mesh-after"]);
  });

  it("runs an exclusive job on one node while the other skips it", async () => {
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const ran: string[] = [];
    let started = () => undefined as void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const first = a.exclusive("job", async () => {
      ran.push("a");
      started();
      await held;
    });
    await running;
    await b.exclusive("job", async () => {
      ran.push("b");
    });
    release();
    await first;
    await b.exclusive("job", async () => {
      ran.push("b again");
    });
    expect(ran).toEqual(["a", "b again"]);
  });
});
