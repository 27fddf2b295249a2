import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import { LEASE_MS, T0, dmToMember, memberScope, seedPeer, sender, takeToken, uid } from "./fixtures.js";

export function lifecycleContract(ctx: ContractContext): void {
  describe("lifecycle", () => {
    it("probeWrite succeeds repeatedly and leaves the families untouched", async () => {
      const store = ctx.store();
      await store.probeWrite(T0);
      await store.probeWrite(T0 + 1);
      expect(await store.countPresences(uid("mesh"))).toBe(0);
      expect(await store.queueDepth()).toBe(0);
    });

    it("the first admin token hash adopted stays; every later or racing one gets it back", async () => {
      const store = ctx.store();
      const hashes = Array.from({ length: 5 }, (_, i) => String(i).repeat(64));
      const answers = await Promise.all(hashes.map((hash) => store.adoptAdminTokenHash(hash)));
      const first = answers[0];
      expect(hashes).toContain(first);
      expect(new Set(answers)).toEqual(new Set([first]));
      expect(await store.adoptAdminTokenHash("f".repeat(64))).toBe(first);
    });

    it("checkpoint keeps every committed write readable", async () => {
      const store = ctx.store();
      const key = uid("bucket");
      expect(await takeToken(store, key, 1, 0, T0)).toBe(true);
      await store.checkpoint();
      await store.checkpoint();
      // The bucket's one token is still spent after the checkpoint.
      expect(await takeToken(store, key, 1, 0, T0 + 1)).toBe(false);
    });

    it("transaction commits the calls inside it together: an accept claimed and acked in one", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const input = dmToMember(sender(mesh.owner), peer);
      const claimed = await store.transaction(async () => {
        await store.acceptMessages([input]);
        const [rows] = await store.claimDeliveries([memberScope(peer, "p")], T0, LEASE_MS, 10);
        return rows ?? [];
      });
      expect(claimed.map((d) => d.message.id)).toEqual([input.message.id]);
      const found = await store.lookupMessage(mesh.id, mesh.owner.id, input.message.id);
      expect(found.status === "ok" && found.deliveries[0]?.state).toBe("claimed");
    });

    it("transaction rolls back every call inside it when the work rejects, and the store goes on", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const lost = dmToMember(sender(mesh.owner), peer);
      await expect(
        store.transaction(async () => {
          await store.acceptMessages([lost]);
          throw new Error("work failed");
        }),
      ).rejects.toThrow("work failed");
      expect(await store.lookupMessage(mesh.id, mesh.owner.id, lost.message.id)).toEqual({
        status: "not_found",
      });
      expect(await store.queueDepth()).toBe(0);
      const kept = dmToMember(sender(mesh.owner), peer);
      await store.transaction(async () => {
        // A call made while one is open joins it.
        await store.transaction(() => store.acceptMessages([kept]));
      });
      expect((await store.lookupMessage(mesh.id, mesh.owner.id, kept.message.id)).status).toBe("ok");
    });

    it("transaction is all or nothing: a call that fails inside dooms it, even when the work catches it", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const first = dmToMember(sender(mesh.owner), peer);
      // The same message id again: the store refuses it (ids are unique).
      const clash = dmToMember(sender(mesh.owner), peer, { id: first.message.id });
      let failure: unknown = null;
      let later: unknown = null;
      await expect(
        store.transaction(async () => {
          await store.acceptMessages([first]);
          await store.acceptMessages([clash]).catch((err: unknown) => {
            failure = err;
          });
          // Every call after the failure fails with it, without touching the store.
          await store.queueDepth().catch((err: unknown) => {
            later = err;
          });
          return "done";
        }),
      ).rejects.toSatisfy((err) => err === failure);
      expect(failure).not.toBeNull();
      expect(later).toBe(failure);
      // The accept made before the failure was rolled back with it.
      expect(await store.lookupMessage(mesh.id, mesh.owner.id, first.message.id)).toEqual({
        status: "not_found",
      });
      expect(await store.queueDepth()).toBe(0);
      const kept = dmToMember(sender(mesh.owner), peer);
      await store.transaction(() => store.acceptMessages([kept]));
      expect((await store.lookupMessage(mesh.id, mesh.owner.id, kept.message.id)).status).toBe("ok");
    });

    it("calls made together inside a transaction: a failing one dooms the others with its own error", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const first = dmToMember(sender(mesh.owner), peer);
      await store.acceptMessages([first]);
      const clash = dmToMember(sender(mesh.owner), peer, { id: first.message.id });
      const fresh = dmToMember(sender(mesh.owner), peer);
      let results: PromiseSettledResult<unknown>[] = [];
      await expect(
        store.transaction(async () => {
          // Made without waiting for each other (an adapter may send them in one write).
          results = await Promise.allSettled([
            store.acceptMessages([clash]),
            store.acceptMessages([fresh]),
            store.queueDepth(),
          ]);
        }),
      ).rejects.toBeTruthy();
      const [clashed, ...others] = results;
      expect(clashed?.status).toBe("rejected");
      const failure = clashed?.status === "rejected" ? clashed.reason : null;
      for (const other of others) {
        // Each one either failed with the first failure, or ran before it; none committed.
        if (other.status === "rejected") expect(other.reason).toBe(failure);
      }
      expect(await store.lookupMessage(mesh.id, mesh.owner.id, fresh.message.id)).toEqual({
        status: "not_found",
      });
      expect(await store.queueDepth()).toBe(1);
    });

    it("a transaction begun by a timer set inside an earlier one is its own, whatever became of that one", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const later = dmToMember(sender(mesh.owner), peer);
      let scheduled: Promise<unknown> = Promise.resolve();
      await expect(
        store.transaction(async () => {
          await store.queueDepth();
          // As the engine schedules its next batch from inside one: the timer fires after this one ended.
          scheduled = new Promise((resolve, reject) => {
            setImmediate(() => {
              store.transaction(() => store.acceptMessages([later])).then(resolve, reject);
            });
          });
          throw new Error("work failed");
        }),
      ).rejects.toThrow("work failed");
      await scheduled;
      expect((await store.lookupMessage(mesh.id, mesh.owner.id, later.message.id)).status).toBe("ok");
    });
  });
}
