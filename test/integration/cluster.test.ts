/**
 * Three broker processes on one PostgreSQL database (protocol.md §4.14): peers on different nodes reach
 * each other by DM, broadcast and group; a peer offline on one node gets its messages on another;
 * `message_status` reads the same on every node; a redelivery never pushes one claim twice; an invite's
 * last use goes to exactly one of two nodes claiming it at once; and when one node is killed -9 while
 * 30 peers exchange DMs, its peers resume on the others and every accepted message reaches the
 * application exactly once. Skipped without `TEST_DATABASE_URL`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encryptDirect, MeshClientError } from "../../src/client/index.js";
import { generateIdentity } from "../../src/crypto/index.js";
import { AppClient, claimAs, connectMember, createInvite, meshWith, waitUntil } from "../helpers/broker.js";
import { useCluster } from "../helpers/cluster.js";
import { postgresAvailable, withDatabase } from "../helpers/postgres.js";

/** `message_status` as the node answers it, without the request's correlation id. */
async function statusOf(app: AppClient, messageId: string) {
  const { _reqId, ...status } = await app.client.messageStatus(messageId);
  return status;
}

/** Short claim lease, so a redelivery happens within the test. */
const LEASE_MS = 1_500;
/**
 * Short heartbeat and expiry, so a dead node's presences are marked gone within the test; the expiry still
 * leaves a peer of the dead node on a loaded machine time to come back on another before it is expired.
 */
const HEARTBEAT_MS = 300;
const EXPIRY_MS = 5_000;
/** Peers that reconnect try again quickly (the real steps start at 1 s). */
const FAST_BACKOFF = { steps: [50, 100, 200] };

describe.skipIf(!postgresAvailable("cluster"))("three brokers on one PostgreSQL database", () => {
  const { url, node } = useCluster("cm_cluster", {
    claimLeaseMs: LEASE_MS,
    heartbeatMs: HEARTBEAT_MS,
    presenceExpiryMs: EXPIRY_MS,
  });

  it("every node accepts the admin token the first one made; only the first holds it in its data dir", () => {
    expect(node(0).adminToken).toMatch(/^[0-9a-f]{64}$/);
    expect(node(1).adminToken).toBe("");
    expect(node(2).adminToken).toBe("");
  });

  it("DM, broadcast and group messages reach peers connected to other nodes", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob", "carol"]);
    const group = { extra: { groups: [{ name: "ops" }] } };
    const alice = await AppClient.connect(node(0).url, mesh.meshId, m.alice!, { rootKey: mesh.rootKey });
    const bob = await AppClient.connect(node(1).url, mesh.meshId, m.bob!, {
      rootKey: mesh.rootKey,
      ...group,
    });
    const carol = await AppClient.connect(node(2).url, mesh.meshId, m.carol!, {
      rootKey: mesh.rootKey,
      ...group,
    });

    const dm = await alice.client.sendDirect(m.carol!.pubkey, "node 1 to node 3");
    expect(dm).toMatchObject({ queued: true, recipientOnline: true });
    expect((await carol.waitFor(dm.messageId)).text).toBe("node 1 to node 3");

    const all = await bob.client.sendMulticast("*", "to everyone", mesh.rootKey);
    expect((await alice.waitFor(all.messageId)).text).toBe("to everyone");
    expect((await carol.waitFor(all.messageId)).text).toBe("to everyone");

    const ops = await alice.client.sendMulticast("@ops", "to ops", mesh.rootKey);
    expect((await bob.waitFor(ops.messageId)).text).toBe("to ops");
    expect((await carol.waitFor(ops.messageId)).text).toBe("to ops");

    // A session key is found on the node that holds it.
    const session = generateIdentity();
    const bobSession = await AppClient.connect(node(1).url, mesh.meshId, m.bob!, { session });
    const toSession = await carol.client.sendDirect(session.publicKey, "to bob's session");
    expect(toSession).toMatchObject({ queued: true, recipientOnline: true });
    expect((await bobSession.waitFor(toSession.messageId)).text).toBe("to bob's session");

    // Each once, and never back to the sender.
    const barrier = await alice.client.sendMulticast("*", "barrier", mesh.rootKey);
    await bob.waitFor(barrier.messageId);
    await carol.waitFor(barrier.messageId);
    expect(carol.count(dm.messageId)).toBe(1);
    expect(alice.count(all.messageId) + carol.count(all.messageId)).toBe(2);
    expect(bob.count(all.messageId)).toBe(0);
    expect(bob.count(ops.messageId) + carol.count(ops.messageId)).toBe(2);
  });

  it("a peer offline on one node gets its messages when it returns on another", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob"]);
    const alice = await AppClient.connect(node(0).url, mesh.meshId, m.alice!);
    const first = await AppClient.connect(node(1).url, mesh.meshId, m.bob!, { sessionId: "bob-app" });
    await first.close();

    const acks = [];
    for (let i = 0; i < 3; i++) acks.push(await alice.client.sendDirect(m.bob!.pubkey, `while away ${i}`));
    expect(acks.map((a) => a.queued)).toEqual([true, true, true]);

    const back = await AppClient.connect(node(2).url, mesh.meshId, m.bob!, { sessionId: "bob-app" });
    for (const [i, ack] of acks.entries())
      expect((await back.waitFor(ack.messageId)).text).toBe(`while away ${i}`);
  });

  it("message_status reads the same on every node", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob", "carol"]);
    const alices = await Promise.all(
      [0, 1, 2].map((i) =>
        AppClient.connect(node(i).url, mesh.meshId, m.alice!, { sessionId: `alice-${i}` }),
      ),
    );
    const bob = await AppClient.connect(node(1).url, mesh.meshId, m.bob!);
    const ack = await alices[0]!.client.sendDirect(m.bob!.pubkey, "status?");
    await bob.waitFor(ack.messageId);
    const statuses = await waitUntil(async () => {
      const all = await Promise.all(alices.map((a) => statusOf(a, ack.messageId)));
      return all.every((s) => s.delivered) ? all : undefined;
    });
    expect(statuses[1]).toEqual(statuses[0]);
    expect(statuses[2]).toEqual(statuses[0]);
    expect(statuses[0]!.recipients).toEqual([{ name: "bob", pubkey: m.bob!.pubkey, status: "delivered" }]);

    // Pending for a member who is offline everywhere, on every node.
    const queued = await alices[2]!.client.sendDirect(m.carol!.pubkey, "later");
    const again = await Promise.all(alices.map((a) => statusOf(a, queued.messageId)));
    expect(again[0]).toMatchObject({ delivered: false });
    expect(again[1]).toEqual(again[0]);
    expect(again[2]).toEqual(again[0]);
  });

  it("an unacked push is redelivered after its lease, never pushed twice for one claim", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob"]);
    const alice = await AppClient.connect(node(0).url, mesh.meshId, m.alice!);
    // Two presences of bob on two nodes, neither acking: every claim lapses and every node may redeliver.
    const holders = await Promise.all(
      [1, 2].map((i) =>
        connectMember(node(i).url, mesh.meshId, m.bob!, { sessionId: `bob-${i}` }, { autoAck: false }),
      ),
    );
    const ack = await alice.client.sendDirect(m.bob!.pubkey, "ack me never");
    const pushes = () =>
      holders.reduce((n, h) => n + h.pushes().filter((p) => p.messageId === ack.messageId).length, 0);
    await waitUntil(() => pushes() >= 3 || undefined, { timeoutMs: 12 * LEASE_MS + 10_000 });
    for (const holder of holders) holder.terminate();
    await Promise.all(holders.map((h) => h.closed));

    const attempts = await withDatabase(url, async (sql) => {
      const rows = await sql<{ attempts: number }[]>`
        SELECT d.attempts FROM deliveries d JOIN messages m ON m.seq = d.message_seq WHERE m.id = ${ack.messageId}`;
      return rows.map((r) => r.attempts);
    });
    expect(attempts).toHaveLength(1);
    // Every push came from a claim of its own.
    expect(pushes()).toBeLessThanOrEqual(attempts[0]!);
  });

  it("an invite's last use claimed on two nodes at once goes to exactly one", async () => {
    const { mesh } = await meshWith(node(0), []);
    for (let round = 0; round < 5; round++) {
      const invite = await createInvite(node(0), mesh, mesh.owner, { maxUses: 1 });
      const results = await Promise.allSettled(
        [1, 2].map((i) => claimAs(node(i), invite, generateIdentity(), `racer-${round}-${i}`)),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected");
      expect(String(lost?.reason)).toMatch(/used|exhausted|no uses/i);
    }
  });

  // Last: it kills node 3.
  it("kill -9 of a node while 30 peers exchange DMs: its peers resume elsewhere, every accepted DM arrives once", async () => {
    const names = Array.from({ length: 30 }, (_, i) => `p${i}`);
    const { mesh, m } = await meshWith(node(0), [...names, "dave", "watcher"]);
    const urls = (first: number) => [0, 1, 2].map((k) => node((first + k) % 3).url);
    const peers = await Promise.all(
      names.map((name, i) =>
        AppClient.connect(node(i % 3).url, mesh.meshId, m[name]!, {
          sessionId: `${name}-app`,
          extra: { url: urls(i % 3), reconnect: true, backoff: FAST_BACKOFF },
        }),
      ),
    );
    // dave, on the node that dies, never comes back: the others see him leave once his row expires.
    const dave = await AppClient.connect(node(2).url, mesh.meshId, m.dave!);
    const watcher = await connectMember(node(0).url, mesh.meshId, m.watcher!);

    const accepted: Array<{ id: string; to: number }> = [];
    let stop = false;
    const sender = async (i: number) => {
      for (let k = 0; !stop || k < 4; k++) {
        const to = (i + 1 + (k % 29)) % 30;
        const clientMessageId = `p${i}-${k}`;
        // Encrypted once: a send lost with its connection goes again as the same bytes under the same
        // key (as the daemon's outbox does), so it is accepted once.
        const recipient = m[names[to]!]!.pubkey;
        const envelope = encryptDirect(clientMessageId, recipient, m[names[i]!]!.secretKey);
        for (;;) {
          try {
            const ack = await peers[i]!.client.send(
              { targetSpec: recipient, ...envelope, clientMessageId },
              { timeoutMs: 3_000 },
            );
            if (ack.queued) {
              accepted.push({ id: ack.messageId, to });
              break;
            }
            if (!/rate_limit|store_unavailable|internal/.test(ack.error ?? "")) throw new Error(ack.error);
          } catch (err) {
            // Not connected right now, or the node died before the ack: try again. Any refusal is a bug.
            if (err instanceof Error && !(err instanceof MeshClientError)) throw err;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const senders = peers.map((_, i) => sender(i));
    await waitUntil(() => accepted.length >= 150 || undefined, { timeoutMs: 30_000 });
    const victim = node(2);
    const victimId = readFileSync(join(victim.dataDir, "node-id"), "utf8").trim();
    await victim.kill9();
    await waitUntil(() => accepted.length >= 400 || undefined, { timeoutMs: 60_000 });
    stop = true;
    await Promise.all(senders);

    const missing = () => accepted.filter(({ id, to }) => peers[to]!.count(id) === 0);
    await waitUntil(() => missing().length === 0 || undefined, { timeoutMs: 60_000 }).catch(() => {
      const lost = missing();
      const byPeer = [...new Set(lost.map((l) => l.to))].map((to) => ({
        peer: to,
        connected: peers[to]!.client.connected,
        missing: lost.filter((l) => l.to === to).length,
      }));
      throw new Error(
        `${lost.length} of ${accepted.length} accepted DMs never arrived: ${JSON.stringify(byPeer)}`,
      );
    });
    for (const { id, to } of accepted) expect(peers[to]!.count(id)).toBe(1);
    // Nothing arrived that was not accepted, and nothing twice.
    const received = peers.flatMap((p) => p.received.map((r) => r.push.messageId));
    expect(new Set(received).size).toBe(received.length);

    // The dead node's peers are live on the other two.
    const rows = await withDatabase(
      url,
      (sql) =>
        sql<{ sessionId: string; nodeId: string }[]>`
        SELECT session_id AS "sessionId", node_id AS "nodeId" FROM presences WHERE disconnected_at IS NULL AND session_id LIKE 'p%-app'`,
    );
    expect(rows).toHaveLength(30);
    expect(rows.filter((r) => r.nodeId === victimId)).toEqual([]);

    // dave's row is expired by a live node, and the watcher hears him leave.
    await watcher.waitForEvent("peer_left", { timeoutMs: EXPIRY_MS + 30_000 });
    const left = watcher.events("peer_left").map((e) => (e.eventData as { name?: string }).name);
    expect(left).toEqual(["dave"]);
    expect(dave.client.connected).toBe(false);
  }, 180_000);
});
