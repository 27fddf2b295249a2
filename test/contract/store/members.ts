import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import { T0, addMember, hex64, newInvite, newMember, seedMesh, uid } from "./fixtures.js";

export function membersContract(ctx: ContractContext): void {
  describe("lifecycle", () => {
    it("migrate() is idempotent and ping() answers", async () => {
      const store = ctx.store();
      await store.migrate();
      await store.migrate();
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("reports a failed write as a rejection", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const again = store.createMesh(
        { id: mesh.id, name: "dup", slug: "dup", ownerMemberId: mesh.owner.id, createdAt: T0 },
        mesh.owner,
      );
      await expect(again).rejects.toThrow();
    });
  });

  describe("meshes and members", () => {
    it("round-trips a mesh and its owner", async () => {
      const store = ctx.store();
      const meshId = uid("mesh");
      const owner = newMember(meshId, {
        role: "owner",
        defaultGroups: [{ name: "eng/backend", role: "lead" }],
      });
      await store.createMesh(
        { id: meshId, name: "Team", slug: "team", ownerMemberId: owner.id, createdAt: T0 },
        owner,
      );
      expect(await store.getMesh(meshId)).toEqual({
        id: meshId,
        name: "Team",
        slug: "team",
        ownerMemberId: owner.id,
        createdAt: T0,
      });
      expect(await store.getMember(owner.id)).toEqual(owner);
      expect(await store.findMemberByPubkey(meshId, owner.pubkey)).toEqual(owner);
      expect(await store.getMesh("nope")).toBeNull();
      expect(await store.getMember("nope")).toBeNull();
      expect(await store.findMemberByPubkey(meshId, hex64())).toBeNull();
    });

    it("scopes pubkey lookups to the mesh", async () => {
      const store = ctx.store();
      const a = await seedMesh(store, 0);
      const b = await seedMesh(store, 0);
      const inB = await addMember(store, b.id, { pubkey: a.owner.pubkey });
      expect((await store.findMemberByPubkey(a.id, a.owner.pubkey))?.id).toBe(a.owner.id);
      expect((await store.findMemberByPubkey(b.id, a.owner.pubkey))?.id).toBe(inB.id);
    });

    it("lists members in join order, hiding revoked ones unless asked", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const late = await addMember(store, mesh.id, { joinedAt: T0 + 2 });
      const early = await addMember(store, mesh.id, { joinedAt: T0 + 1 });
      await store.setMemberRevoked(late.id, T0 + 5, "banned");
      expect((await store.listMembers(mesh.id)).map((m) => m.id)).toEqual([mesh.owner.id, early.id]);
      const all = await store.listMembers(mesh.id, { includeRevoked: true });
      expect(all.map((m) => m.id)).toEqual([mesh.owner.id, early.id, late.id]);
      expect(all[2]).toMatchObject({ revokedAt: T0 + 5, revokeReason: "banned" });

      await store.setMemberRevoked(late.id, null, null);
      expect(await store.getMember(late.id)).toMatchObject({ revokedAt: null, revokeReason: null });
      expect(await store.listMembers(uid("other-mesh"))).toEqual([]);
    });

    it("saves a member's state", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const saved = {
        groups: [{ name: "a/b" }],
        summary: null,
        displayName: "renamed",
        profile: { bio: "hi", capabilities: ["x"] },
        visible: false,
        stats: { messagesIn: 1, messagesOut: 2, toolCalls: 3, errors: 4 },
        lastSeenAt: T0 + 9,
      };
      await store.saveMemberState(mesh.owner.id, saved);
      expect((await store.getMember(mesh.owner.id))?.saved).toEqual(saved);
    });

    it("remembers which member proved a session key, per mesh, first prover wins", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const other = await seedMesh(store, 0);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const key = hex64();
      expect(await store.findSessionKeyOwner(mesh.id, key)).toBeNull();
      await store.recordSessionKey(mesh.id, key, mesh.owner.id, T0);
      await store.recordSessionKey(mesh.id, key, mesh.owner.id, T0 + 1);
      await store.recordSessionKey(mesh.id, key, peer.id, T0 + 2);
      expect(await store.findSessionKeyOwner(mesh.id, key)).toBe(mesh.owner.id);
      expect(await store.findSessionKeyOwner(other.id, key)).toBeNull();
    });
  });

  describe("invites", () => {
    it("inserts once per code and reads back", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const invite = newInvite(mesh.id, { role: "admin", maxUses: 3 });
      expect(await store.insertInvite(invite)).toBe("ok");
      expect(await store.insertInvite({ ...invite, maxUses: 9 })).toBe("conflict");
      expect(await store.getInvite(invite.code)).toEqual(invite);
      expect(await store.getInvite("NOSUCHCODE")).toBeNull();
    });

    it("claims: not_found, bad token, then a new member with the invite's mesh and role", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const invite = newInvite(mesh.id, { role: "admin" });
      await store.insertInvite(invite);
      const joiner = newMember(mesh.id, { role: "member", displayName: "joiner" });

      expect(
        await store.claimInvite({
          code: "MISSING1",
          claimHash: invite.claimHash,
          newMember: joiner,
          now: T0,
        }),
      ).toEqual({
        status: "not_found",
      });
      expect(
        await store.claimInvite({ code: invite.code, claimHash: hex64(), newMember: joiner, now: T0 }),
      ).toEqual({
        status: "bad_claim_token",
      });
      const ok = await store.claimInvite({
        code: invite.code,
        claimHash: invite.claimHash,
        newMember: joiner,
        now: T0,
      });
      expect(ok).toMatchObject({ status: "ok", created: true, invite: { uses: 1 } });
      if (ok.status !== "ok") throw new Error("unreachable");
      expect(ok.member).toMatchObject({
        id: joiner.id,
        meshId: mesh.id,
        role: "admin",
        displayName: "joiner",
      });
      expect(await store.getMember(joiner.id)).toEqual(ok.member);
      expect((await store.getInvite(invite.code))?.uses).toBe(1);
    });

    it("gives a name an active member of the mesh has (ignoring case) the first free suffix", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const other = await seedMesh(store, 0);
      const names: string[] = [];
      let carol = null;
      for (const wanted of ["bob", "Bob", "bob", "carol"]) {
        const member = await addMember(store, mesh.id, { displayName: wanted });
        names.push(member.displayName);
        if (wanted === "carol") carol = member;
      }
      expect(names).toEqual(["bob", "Bob 2", "bob 3", "carol"]);
      if (!carol) throw new Error("fixture");
      // Another mesh's names do not count.
      expect((await addMember(store, other.id, { displayName: "bob" })).displayName).toBe("bob");
      // A revoked member's name is free again.
      await store.setMemberRevoked(carol.id, T0, "left");
      expect((await addMember(store, mesh.id, { displayName: "carol" })).displayName).toBe("carol");
      // Case folds beyond ASCII, and LIKE's wildcards in a name are only characters.
      expect((await addMember(store, mesh.id, { displayName: "Émile" })).displayName).toBe("Émile");
      expect((await addMember(store, mesh.id, { displayName: "émile" })).displayName).toBe("émile 2");
      expect((await addMember(store, mesh.id, { displayName: "100% sure" })).displayName).toBe("100% sure");
      expect((await addMember(store, mesh.id, { displayName: "100% SURE" })).displayName).toBe("100% SURE 2");
      expect((await addMember(store, mesh.id, { displayName: "1000 sure" })).displayName).toBe("1000 sure");
      // The suffix never takes a name past 64 characters.
      const long = "x".repeat(64);
      expect((await addMember(store, mesh.id, { displayName: long })).displayName).toBe(long);
      expect((await addMember(store, mesh.id, { displayName: long })).displayName).toBe(
        `${"x".repeat(62)} 2`,
      );
    });

    it("returns an active member without using a use, even on a used-up or expired invite", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const invite = newInvite(mesh.id, { maxUses: 1, uses: 1, expiresAt: T0 - 1 });
      await store.insertInvite(invite);
      const rejoin = newMember(mesh.id, { pubkey: peer.pubkey });
      const result = await store.claimInvite({
        code: invite.code,
        claimHash: invite.claimHash,
        newMember: rejoin,
        now: T0,
      });
      expect(result).toMatchObject({ status: "ok", created: false, member: { id: peer.id } });
      expect((await store.getInvite(invite.code))?.uses).toBe(1);
    });

    it("refuses expired, revoked and used-up invites, in that order, without creating members", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const expired = newInvite(mesh.id, { expiresAt: T0, revokedAt: T0 - 5, uses: 1 });
      const revoked = newInvite(mesh.id, { revokedAt: T0 - 5, uses: 1 });
      const exhausted = newInvite(mesh.id, { uses: 1 });
      for (const invite of [expired, revoked, exhausted]) await store.insertInvite(invite);
      const claim = (code: string, claimHash: string) =>
        store.claimInvite({ code, claimHash, newMember: newMember(mesh.id), now: T0 });
      expect(await claim(expired.code, expired.claimHash)).toEqual({ status: "expired" });
      expect(await claim(revoked.code, revoked.claimHash)).toEqual({ status: "revoked" });
      expect(await claim(exhausted.code, exhausted.claimHash)).toEqual({ status: "exhausted" });
      expect(await store.listMembers(mesh.id, { includeRevoked: true })).toHaveLength(1);
    });

    it("reinstates a revoked member under its old id, using a use", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      await store.setMemberRevoked(peer.id, T0, "left");
      const invite = newInvite(mesh.id);
      await store.insertInvite(invite);
      const result = await store.claimInvite({
        code: invite.code,
        claimHash: invite.claimHash,
        newMember: newMember(mesh.id, { pubkey: peer.pubkey, displayName: "back" }),
        now: T0 + 1,
      });
      expect(result).toMatchObject({
        status: "ok",
        created: true,
        member: { id: peer.id, revokedAt: null, revokeReason: null, displayName: "back" },
      });
      expect((await store.getInvite(invite.code))?.uses).toBe(1);
    });

    it("refuses a banned member's key without using a use; only one that left comes back", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      await store.setMemberRevoked(peer.id, T0, "spamming");
      const invite = newInvite(mesh.id, { maxUses: 2 });
      await store.insertInvite(invite);
      const result = await store.claimInvite({
        code: invite.code,
        claimHash: invite.claimHash,
        newMember: newMember(mesh.id, { pubkey: peer.pubkey }),
        now: T0 + 1,
      });
      expect(result).toEqual({ status: "banned" });
      expect((await store.getInvite(invite.code))?.uses).toBe(0);
      expect((await store.getMember(peer.id))?.revokedAt).toBe(T0);
    });

    it.each([1, 3])("concurrent claims never exceed max_uses (%i)", async (maxUses) => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const invite = newInvite(mesh.id, { maxUses });
      await store.insertInvite(invite);
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          store.claimInvite({
            code: invite.code,
            claimHash: invite.claimHash,
            newMember: newMember(mesh.id),
            now: T0,
          }),
        ),
      );
      expect(results.filter((r) => r.status === "ok")).toHaveLength(maxUses);
      expect(results.filter((r) => r.status === "exhausted")).toHaveLength(12 - maxUses);
      expect((await store.getInvite(invite.code))?.uses).toBe(maxUses);
      expect(await store.listMembers(mesh.id)).toHaveLength(1 + maxUses);
    });
  });
}
