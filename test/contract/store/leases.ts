import { describe, expect, it } from "vitest";
import type { LeaseRow } from "../../../src/broker/store/port/index.js";
import type { ContractContext } from "./context.js";
import { T0, seedMesh, seedTwoMembers, uid } from "./fixtures.js";

const MIN = 60_000;

function lease(
  meshId: string,
  memberId: string,
  resource: string,
  overrides: Partial<LeaseRow> = {},
): LeaseRow {
  return {
    id: uid("lease"),
    meshId,
    resource,
    memberId,
    holderName: memberId.slice(0, 8),
    holderPubkey: "ab".repeat(32),
    presenceId: null,
    reason: "",
    acquiredAt: T0,
    expiresAt: T0 + 10 * MIN,
    ...overrides,
  };
}

export function leasesContract(ctx: ContractContext): void {
  describe("leases", () => {
    it("grants a free resource and refuses an overlapping one of another member", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const mine = lease(mesh.id, a.id, "r:src/");
      expect(await store.acquireLease(mine, 100, T0)).toEqual({
        kind: "granted",
        lease: mine,
        renewed: false,
        expired: [],
      });
      // The repository's root (`r:`) holds every path in it.
      for (const resource of ["r:src/", "r:src/db/a.ts", "r:src", "r:"]) {
        const outcome = await store.acquireLease(lease(mesh.id, b.id, resource), 100, T0 + 1);
        expect(outcome).toMatchObject({ kind: "held", lease: { id: mine.id } });
      }
      // Not at a `/` boundary, or in another mesh: free.
      expect((await store.acquireLease(lease(mesh.id, b.id, "r:srcs/a.ts"), 100, T0)).kind).toBe("granted");
      const other = await seedMesh(store, 0);
      expect((await store.acquireLease(lease(other.id, other.owner.id, "r:src/"), 100, T0)).kind).toBe(
        "granted",
      );
      // One's own overlapping leases never conflict.
      expect((await store.acquireLease(lease(mesh.id, a.id, "r:src/db/"), 100, T0)).kind).toBe("granted");
    });

    it("renews one's own lease on re-acquire and on renew; never another member's", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const first = lease(mesh.id, a.id, "r:x.ts");
      await store.acquireLease(first, 100, T0);
      const again = await store.acquireLease(
        lease(mesh.id, a.id, "r:x.ts", { expiresAt: T0 + 20 * MIN, reason: "more" }),
        100,
        T0 + 1,
      );
      expect(again).toMatchObject({
        kind: "granted",
        renewed: true,
        lease: { id: first.id, expiresAt: T0 + 20 * MIN, reason: "more" },
      });
      expect(await store.renewLease(mesh.id, a.id, "r:x.ts", T0 + 30 * MIN, T0 + 2)).toMatchObject({
        id: first.id,
        expiresAt: T0 + 30 * MIN,
      });
      expect(await store.renewLease(mesh.id, b.id, "r:x.ts", T0 + 30 * MIN, T0 + 2)).toBeNull();
      // Expired: gone for renew and for every reader.
      expect(await store.renewLease(mesh.id, a.id, "r:x.ts", T0 + 60 * MIN, T0 + 31 * MIN)).toBeNull();
      expect(await store.getLease(mesh.id, "r:x.ts", T0 + 31 * MIN)).toBeNull();
      expect(await store.listLeases(mesh.id, null, T0 + 31 * MIN)).toEqual([]);
    });

    it("treats expired leases as gone: a new holder replaces them and learns which expired", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const old = lease(mesh.id, a.id, "r:dir/", { expiresAt: T0 + MIN });
      await store.acquireLease(old, 100, T0);
      const taken = await store.acquireLease(lease(mesh.id, b.id, "r:dir/"), 100, T0 + 2 * MIN);
      expect(taken).toMatchObject({ kind: "granted", renewed: false, expired: [{ id: old.id }] });
      expect((await store.listLeases(mesh.id, null, T0 + 2 * MIN)).map((l) => l.memberId)).toEqual([b.id]);
    });

    it("limits the live leases of a member", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      for (let i = 0; i < 3; i++) await store.acquireLease(lease(mesh.id, a.id, `r:f${i}`), 3, T0);
      expect((await store.acquireLease(lease(mesh.id, a.id, "r:f9"), 3, T0)).kind).toBe("limit");
      // Renewing one's own is not a new lease.
      expect((await store.acquireLease(lease(mesh.id, a.id, "r:f0"), 3, T0)).kind).toBe("granted");
    });

    it("lists live leases by resource, under a prefix; deletes by id", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const z = lease(mesh.id, a.id, "r:z");
      await store.acquireLease(z, 100, T0);
      await store.acquireLease(lease(mesh.id, b.id, "r:a/b"), 100, T0);
      await store.acquireLease(lease(mesh.id, b.id, "q:a"), 100, T0);
      expect((await store.listLeases(mesh.id, null, T0)).map((l) => l.resource)).toEqual([
        "q:a",
        "r:a/b",
        "r:z",
      ]);
      expect((await store.listLeases(mesh.id, "r:", T0)).map((l) => l.resource)).toEqual(["r:a/b", "r:z"]);
      expect(await store.deleteLease(z.id)).toMatchObject({ id: z.id });
      expect(await store.deleteLease(z.id)).toBeNull();
      expect(await store.getLease(mesh.id, "r:z", T0)).toBeNull();
    });

    it("ends the leases of a presence, and sweeps expired ones", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      await store.acquireLease(lease(mesh.id, a.id, "r:s1", { presenceId: "p1" }), 100, T0);
      await store.acquireLease(lease(mesh.id, a.id, "r:s2", { presenceId: "p2" }), 100, T0);
      await store.acquireLease(lease(mesh.id, a.id, "r:old", { expiresAt: T0 + MIN }), 100, T0);
      expect((await store.releasePresenceLeases("p1")).map((l) => l.resource)).toEqual(["r:s1"]);
      expect(await store.releasePresenceLeases("p1")).toEqual([]);
      expect((await store.sweepExpiredLeases(T0 + MIN, 10)).map((l) => l.resource)).toEqual(["r:old"]);
      expect((await store.listLeases(mesh.id, null, T0)).map((l) => l.resource)).toEqual(["r:s2"]);
    });

    it("of many concurrent overlapping acquirers exactly one wins", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.acquireLease(lease(mesh.id, `member-${i}`, i % 2 ? "r:src/" : "r:src"), 100, T0),
        ),
      );
      expect(outcomes.filter((o) => o.kind === "granted")).toHaveLength(1);
    });
  });
}
