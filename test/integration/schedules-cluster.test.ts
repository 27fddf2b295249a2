/**
 * Scheduled messages on three broker nodes sharing one PostgreSQL database (protocol.md §6.5, §9 item 47):
 * every node runs the scheduler, yet each entry fires exactly once; after kill -9 of a node the others
 * fire what is due, once. Skipped without `TEST_DATABASE_URL`.
 */
import { describe, expect, it } from "vitest";
import { connectMember, meshWith, type Frame, type RawPeer } from "../helpers/broker.js";
import { useCluster } from "../helpers/cluster.js";
import { postgresAvailable } from "../helpers/postgres.js";

/** Every node polls often, so they all race for each due entry. */
const POLL_MS = 50;
/** How long the recipient is watched for a second fire of any entry: many polls of every node. */
const QUIET_MS = 1_500;

const reminder = (f: Frame) => f.type === "push" && f.subtype === "reminder";

/** Waits for one reminder per key, then checks no key arrives twice. */
async function expectOncePerKey(bob: RawPeer, keys: string[]): Promise<void> {
  for (const key of keys) {
    await bob.waitFor((f) => reminder(f) && f.client_message_id === key, { timeoutMs: 15_000 });
  }
  await bob.expectNone(() => false, QUIET_MS);
  const fired = bob.frames.filter(reminder).map((f) => f.client_message_id as string);
  expect(fired.sort()).toEqual([...keys].sort());
}

describe.skipIf(!postgresAvailable("scheduled messages cluster"))("scheduled messages on three nodes", () => {
  const { node } = useCluster("cm_schedules", {
    schedulePollMs: POLL_MS,
    heartbeatMs: 500,
    presenceExpiryMs: 4_000,
  });

  it("every node runs the scheduler, yet each entry fires exactly once", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob"]);
    const alice = await connectMember(node(0).url, mesh.meshId, m.alice!);
    const bob = await connectMember(node(2).url, mesh.meshId, m.bob!);
    const deliverAt = Date.now() + 1_000;
    const keys = Array.from({ length: 20 }, (_, i) => `once-${i}`);
    for (const key of keys) {
      await alice.request({
        type: "schedule",
        to: m.bob!.pubkey,
        message: key,
        deliverAt,
        client_message_id: key,
      });
    }
    alice.close();
    await expectOncePerKey(bob, keys);
    const back = await connectMember(node(1).url, mesh.meshId, m.alice!);
    expect((await back.request({ type: "list_scheduled" })).messages).toEqual([]);
  });

  it("after kill -9 of a node, the others fire what is due, once", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob"]);
    const alice = await connectMember(node(1).url, mesh.meshId, m.alice!);
    const bob = await connectMember(node(2).url, mesh.meshId, m.bob!);
    const deliverAt = Date.now() + 1_500;
    const keys = Array.from({ length: 10 }, (_, i) => `after-kill-${i}`);
    for (const key of keys) {
      await alice.request({
        type: "schedule",
        to: m.bob!.pubkey,
        message: key,
        deliverAt,
        client_message_id: key,
      });
    }
    await node(1).kill9();
    await expectOncePerKey(bob, keys);
  });
});
