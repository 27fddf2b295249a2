/** Listing and revoking invites (InviteStore; registering and claiming are with the members, members.ts). */
import { describe, expect, it } from "vitest";
import type { Store } from "../../../src/broker/store/port/index.js";
import type { ContractContext } from "./context.js";
import { DAY_MS, T0, newInvite, newMember, seedMesh } from "./fixtures.js";

export function invitesContract(ctx: ContractContext): void {
  describe("listing and revoking invites", () => {
    it("lists every invite of the mesh, whatever its state, newest first, and none of another mesh", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const other = await seedMesh(store, 0);
      expect(await store.listInvites(mesh.id)).toEqual([]);
      const oldest = newInvite(mesh.id, { createdAt: T0, expiresAt: T0 - 1 });
      const used = newInvite(mesh.id, { createdAt: T0 + 1, uses: 1 });
      const revoked = newInvite(mesh.id, { createdAt: T0 + 2, revokedAt: T0 + 3 });
      // Two made in the same millisecond come in code order.
      const [tieA, tieB] = [
        newInvite(mesh.id, { code: "TIEAAAAA", createdAt: T0 + 5 }),
        newInvite(mesh.id, { code: "TIEBBBBB", createdAt: T0 + 5, role: "admin", maxUses: 4 }),
      ];
      for (const invite of [tieB, oldest, revoked, used, tieA])
        expect(await store.insertInvite(invite)).toBe("ok");
      await store.insertInvite(newInvite(other.id, { createdAt: T0 + 9 }));
      expect(await store.listInvites(mesh.id)).toEqual([tieA, tieB, revoked, used, oldest]);
    });

    it("revokes once: revoking again keeps the first time; the invite then refuses claims", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const invite = newInvite(mesh.id, { maxUses: 2 });
      await store.insertInvite(invite);
      const revoked = { ...invite, revokedAt: T0 + 10 };
      expect(await store.revokeInvite({ meshId: mesh.id, code: invite.code, now: T0 + 10 })).toEqual({
        status: "revoked",
        invite: revoked,
      });
      expect(await store.revokeInvite({ meshId: mesh.id, code: invite.code, now: T0 + 20 })).toEqual({
        status: "already_revoked",
        invite: revoked,
      });
      expect(await store.getInvite(invite.code)).toEqual(revoked);
      expect(
        await store.claimInvite({
          code: invite.code,
          claimHash: invite.claimHash,
          newMember: newMember(mesh.id),
          now: T0 + 30,
        }),
      ).toEqual({ status: "revoked" });
      expect((await store.getInvite(invite.code))?.uses).toBe(0);
      expect(await store.listMembers(mesh.id, { includeRevoked: true })).toHaveLength(1);
    });

    it("revokes an invite that is used up or expired, keeping its uses", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const used = newInvite(mesh.id, { maxUses: 3, uses: 3 });
      const expired = newInvite(mesh.id, { expiresAt: T0 - DAY_MS });
      for (const invite of [used, expired]) await store.insertInvite(invite);
      for (const invite of [used, expired]) {
        expect(await store.revokeInvite({ meshId: mesh.id, code: invite.code, now: T0 })).toEqual({
          status: "revoked",
          invite: { ...invite, revokedAt: T0 },
        });
      }
    });

    it("answers not_found for an unknown code and for another mesh's invite, which it leaves alone", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const other = await seedMesh(store, 0);
      const theirs = newInvite(other.id);
      await store.insertInvite(theirs);
      expect(await store.revokeInvite({ meshId: mesh.id, code: theirs.code, now: T0 })).toEqual({
        status: "not_found",
      });
      expect(await store.revokeInvite({ meshId: mesh.id, code: "NOSUCHCODE", now: T0 })).toEqual({
        status: "not_found",
      });
      expect(await store.getInvite(theirs.code)).toEqual(theirs);
    });
  });
}

/** Revokes of one invite racing on two connections: exactly one revokes it, and its time stays. */
export async function invitesRacing([a, b]: [Store, Store]): Promise<void> {
  const mesh = await seedMesh(a, 0);
  for (let round = 0; round < 5; round++) {
    const invite = newInvite(mesh.id);
    await a.insertInvite(invite);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).revokeInvite({ meshId: mesh.id, code: invite.code, now: T0 + i }),
      ),
    );
    const won = results.flatMap((r, i) => (r.status === "revoked" ? [T0 + i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      expect(r).toMatchObject({ invite: { revokedAt: won[0] } });
    }
    expect((await b.getInvite(invite.code))?.revokedAt).toBe(won[0]);
  }
}
