import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../../src/broker/store/port/index.js";
import {
  LEASE_MS,
  T0,
  claimedIds,
  dmToMember,
  memberScope,
  newInvite,
  newMember,
  seedPeer,
  sender,
  withKey,
} from "./fixtures.js";
import { auditRacing } from "./audit.js";
import { invitesRacing } from "./invites.js";
import { keyCopy, newTopic } from "./topics.js";
import { schedulesRacing } from "./schedules.js";
import { ownedRowsRacing } from "./owned-rows.js";

/** Two stores on one database (two connections, or pools): what two broker nodes sharing it see. */
export interface SharedStores {
  stores: [Store, Store];
  cleanup?: () => Promise<void>;
}

/**
 * The port's promises under concurrency across connections: each test gets two fresh stores on one
 * database (migrated here) and races calls on both.
 */
export function racingStoresContract(makeStores: () => Promise<SharedStores>): void {
  describe("two connections racing", () => {
    let current: SharedStores | null = null;
    const both = (): [Store, Store] => {
      if (!current) throw new Error("racing contract: no stores (used outside a test?)");
      return current.stores;
    };

    beforeEach(async () => {
      current = await makeStores();
      for (const store of current.stores) await store.migrate();
    });

    afterEach(async () => {
      const shared = current;
      current = null;
      if (!shared) return;
      for (const store of shared.stores) await store.close();
      await shared.cleanup?.();
    });

    it("claimDeliveries on both never claims one delivery twice, and together they take them all", async () => {
      const [a, b] = both();
      const { mesh, peer } = await seedPeer(a);
      const inputs = Array.from({ length: 60 }, () => dmToMember(sender(mesh.owner), peer));
      await a.acceptMessages(inputs);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? a : b).claimDeliveries(
            [memberScope(peer, `p${i}`), memberScope(peer, `q${i}`)],
            T0,
            LEASE_MS,
            5,
          ),
        ),
      );
      const ids = results.flatMap((r) => claimedIds(r).flat());
      expect(new Set(ids).size).toBe(ids.length);
      const rest = claimedIds(await b.claimDeliveries([memberScope(peer, "last")], T0, LEASE_MS, 100)).flat();
      expect([...ids, ...rest].sort()).toEqual(inputs.map((i) => i.message.id).sort());
    });

    it("invite claims racing for the last use: exactly one wins", async () => {
      const [a, b] = both();
      const { mesh } = await seedPeer(a);
      for (let round = 0; round < 5; round++) {
        const invite = newInvite(mesh.id, { maxUses: 2, uses: 1 });
        await a.insertInvite(invite);
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 ? a : b).claimInvite({
              code: invite.code,
              claimHash: invite.claimHash,
              newMember: newMember(mesh.id, { displayName: "racer" }),
              now: T0,
            }),
          ),
        );
        expect(results.filter((r) => r.status === "ok")).toHaveLength(1);
        expect(results.filter((r) => r.status === "exhausted")).toHaveLength(5);
        expect((await b.getInvite(invite.code))?.uses).toBe(2);
      }
      // Five winners, one per round, each under its own display name.
      const racers = (await a.listMembers(mesh.id)).filter((m) => m.displayName.startsWith("racer"));
      expect(racers.map((m) => m.displayName).sort()).toEqual([
        "racer",
        "racer 2",
        "racer 3",
        "racer 4",
        "racer 5",
      ]);
    });

    it("invite revokes racing on both: exactly one revokes, and its time stays", async () => {
      await invitesRacing(both());
    });

    it("accepts of one idempotency key on both: exactly one message is created", async () => {
      const [a, b] = both();
      const { mesh, peer } = await seedPeer(a);
      const from = sender(mesh.owner);
      const sends = Array.from({ length: 6 }, () =>
        withKey(dmToMember(from, peer), "same-key", "f".repeat(64)),
      );
      const outcomes = (await Promise.all(sends.map((s, i) => (i % 2 ? a : b).acceptMessages([s])))).flat();
      const created = outcomes.filter((o) => o.kind === "created");
      expect(created).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === "duplicate")).toEqual(
        Array.from({ length: 5 }, () => ({ kind: "duplicate", messageId: created[0]?.messageId })),
      );
      expect(await b.queueDepth()).toBe(1);
    });

    it("audit appends from both keep one gap-free, verifying chain", async () => {
      await auditRacing(both());
    });

    it("topic key claims racing on both: exactly one key is set", async () => {
      const [a, b] = both();
      const { mesh, peer } = await seedPeer(a);
      for (let round = 0; round < 5; round++) {
        const topic = newTopic(mesh.id);
        await a.createTopic(topic, { memberId: peer.id, joinedAt: T0 }, null);
        await a.addTopicMember(topic.id, mesh.owner.id, "member", T0);
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 ? a : b).claimTopicKey(
              keyCopy(topic.id, i % 2 ? peer.id : mesh.owner.id, { keyId: `${i}`.repeat(16) }),
            ),
          ),
        );
        const won = results.flatMap((r, i) => (r.won ? [`${i}`.repeat(16)] : []));
        expect(won).toHaveLength(1);
        for (const r of results) if (!r.won) expect(r.keyId).toBe(won[0]);
        expect((await b.findTopic(mesh.id, topic.id))?.keyId).toBe(won[0]);
        expect(await b.topicKeyHolders(topic.id)).toHaveLength(1);
      }
    });

    it("scheduler rounds on both: every due entry is taken by exactly one", async () => {
      await schedulesRacing(both());
    });

    it("creates of one member on both never pass its row quota together", async () => {
      await ownedRowsRacing(both());
    });
  });
}
