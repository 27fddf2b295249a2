import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import { LEASE_MS, T0, dmToMember, hex64, memberScope, presence, seedMesh, sender } from "./fixtures.js";

export function presencesContract(ctx: ContractContext): void {
  describe("presences", () => {
    it("round-trip every field and list in connectedAt order, per mesh", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const other = await seedMesh(store, 0);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const second = presence(mesh.owner, { connectedAt: T0 + 2 });
      const first = presence(peer, {
        connectedAt: T0 + 1,
        peerRole: "session",
        sessionPubkey: hex64(),
        hostname: null,
        peerType: null,
        channel: null,
        model: null,
        summary: null,
        stats: null,
        profile: null,
        visible: false,
        groups: [],
        status: "dnd",
        statusSource: "hook",
      });
      await store.upsertPresence(second);
      await store.upsertPresence(first);
      await store.upsertPresence(presence(other.owner));
      expect(await store.listPresences(mesh.id)).toEqual([first, second]);
      expect(await store.countPresences(mesh.id)).toBe(2);
      expect(await store.countPresences(other.id)).toBe(1);
    });

    it("page in (connectedAt, id) order, leaving out others' hidden rows, ties broken by id", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const rows = [
        presence(mesh.owner, { id: "p-b", connectedAt: T0 + 1 }),
        presence(peer, { id: "p-a", connectedAt: T0 + 1 }),
        presence(peer, { id: "p-c", connectedAt: T0 + 2, visible: false }),
        presence(mesh.owner, { id: "p-d", connectedAt: T0 + 3, visible: false }),
        presence(peer, { id: "p-e", connectedAt: T0 + 4 }),
      ];
      for (const row of rows) await store.upsertPresence(row);
      await store.markPresenceDisconnected("p-e", T0 + 5);
      const walk = async (viewerMemberId: string, limit: number) => {
        const ids: string[][] = [];
        let after = null;
        for (;;) {
          const page = await store.pagePresences(mesh.id, { viewerMemberId, after, limit });
          ids.push(page.map((r) => r.id));
          const last = page.at(-1);
          if (page.length < limit || !last) return ids;
          after = { connectedAt: last.connectedAt, id: last.id };
        }
      };
      expect(await walk(peer.id, 2)).toEqual([["p-a", "p-b"], ["p-c"]]);
      expect(await walk(mesh.owner.id, 1)).toEqual([["p-a"], ["p-b"], ["p-d"], []]);
      expect(await store.pagePresences(mesh.id, { viewerMemberId: peer.id, after: null, limit: 10 })).toEqual(
        [rows[1], rows[0], rows[2]],
      );
    });

    it("concurrent upserts all land, the later of two for one row winning", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const rows = Array.from({ length: 5 }, (_, i) => presence(mesh.owner, { connectedAt: T0 + i }));
      const again = { ...rows[2]!, summary: "second write" };
      await Promise.all([...rows, again].map((row) => store.upsertPresence(row)));
      expect(await store.listPresences(mesh.id)).toEqual([rows[0], rows[1], again, rows[3], rows[4]]);
    });

    it("upsert replaces a row (reattach) and brings a disconnected one back", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const row = presence(mesh.owner);
      await store.upsertPresence(row);
      await store.markPresenceDisconnected(row.id, T0 + 5);
      expect(await store.listPresences(mesh.id)).toEqual([]);
      const back = { ...row, nodeId: "node-b", lease: "online" as const, pid: 7, lastPingAt: T0 + 9 };
      await store.upsertPresence(back);
      expect(await store.listPresences(mesh.id)).toEqual([back]);
    });

    it("patch only the given fields", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const row = presence(mesh.owner);
      await store.upsertPresence(row);
      await store.updatePresence(row.id, { summary: null, visible: false, profile: null, lease: "offline" });
      await store.updatePresence(row.id, { status: "working", statusSource: "hook", statusAt: T0 + 3 });
      await store.updatePresence(row.id, {
        groups: [{ name: "ops" }],
        stats: { errors: 2 },
        nodeId: "node-z",
      });
      await store.updatePresence(row.id, { displayName: "renamed", lastPingAt: T0 + 4 });
      await store.updatePresence(row.id, {});
      expect(await store.listPresences(mesh.id)).toEqual([
        {
          ...row,
          summary: null,
          visible: false,
          profile: null,
          lease: "offline",
          status: "working",
          statusSource: "hook",
          statusAt: T0 + 3,
          groups: [{ name: "ops" }],
          stats: { errors: 2 },
          nodeId: "node-z",
          displayName: "renamed",
          lastPingAt: T0 + 4,
        },
      ]);
    });

    it("touch a batch of presences", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const a = presence(mesh.owner, { connectedAt: T0 });
      const b = presence(mesh.owner, { connectedAt: T0 + 1 });
      const c = presence(mesh.owner, { connectedAt: T0 + 2 });
      for (const p of [a, b, c]) await store.upsertPresence(p);
      await store.touchPresences([a.id, c.id, "unknown"], T0 + 30_000);
      await store.touchPresences([], T0 + 60_000);
      expect((await store.listPresences(mesh.id)).map((p) => p.lastPingAt)).toEqual([
        T0 + 30_000,
        T0,
        T0 + 30_000,
      ]);
    });

    it("disconnect one presence, or every presence of one node only", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const a1 = presence(mesh.owner, { nodeId: "a", connectedAt: T0 });
      const a2 = presence(mesh.owner, { nodeId: "a", connectedAt: T0 + 1 });
      const b1 = presence(mesh.owner, { nodeId: "b", connectedAt: T0 + 2 });
      const b2 = presence(mesh.owner, { nodeId: "b", connectedAt: T0 + 3 });
      for (const p of [a1, a2, b1, b2]) await store.upsertPresence(p);
      await store.markPresenceDisconnected(b2.id, T0 + 10);
      expect(await store.disconnectNodePresences("a", T0 + 20)).toBe(2);
      expect(await store.disconnectNodePresences("a", T0 + 30)).toBe(0);
      expect((await store.listPresences(mesh.id)).map((p) => p.id)).toEqual([b1.id]);
      expect(await store.countPresences(mesh.id)).toBe(1);
    });

    it("a guarded disconnect marks the row only while its node holds it and its heartbeat is old", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const row = presence(mesh.owner, { nodeId: "a", lastPingAt: T0 });
      await store.upsertPresence(row);
      expect(await store.markPresenceDisconnected(row.id, T0 + 5, { nodeId: "b" })).toBe(false);
      const guard = { nodeId: "a", lastPingBefore: T0 };
      expect(await store.markPresenceDisconnected(row.id, T0 + 5, guard)).toBe(false);
      expect(
        await store.markPresenceDisconnected(row.id, T0 + 5, { nodeId: "a", lastPingBefore: T0 + 1 }),
      ).toBe(true);
      expect(await store.markPresenceDisconnected(row.id, T0 + 6)).toBe(false);
      expect(await store.listPresences(mesh.id)).toEqual([]);
    });

    it("look live rows up by member and by session key, on any node", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 2);
      const [bob, carol] = mesh.members;
      if (!bob || !carol) throw new Error("fixture");
      const key = hex64();
      const session = presence(bob, {
        nodeId: "b",
        peerRole: "session",
        sessionPubkey: key,
        connectedAt: T0 + 1,
      });
      const daemon = presence(bob, { nodeId: "a", connectedAt: T0 + 2 });
      const gone = presence(carol, { connectedAt: T0 + 3 });
      for (const p of [session, daemon, gone]) await store.upsertPresence(p);
      await store.markPresenceDisconnected(gone.id, T0 + 4);
      expect(await store.presencesOfMembers(mesh.id, [bob.id, carol.id])).toEqual([session, daemon]);
      expect(await store.presencesOfMembers(mesh.id, [])).toEqual([]);
      expect(await store.presencesOfMembers("other-mesh", [bob.id])).toEqual([]);
      expect(await store.presenceBySession(mesh.id, key)).toEqual(session);
      expect(await store.presenceBySession(mesh.id, hex64())).toBeNull();
    });

    it("list live rows whose heartbeat is older than a time, oldest first", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const old = presence(mesh.owner, { lastPingAt: T0 });
      const older = presence(mesh.owner, { lastPingAt: T0 - 10 });
      const fresh = presence(mesh.owner, { lastPingAt: T0 + 100 });
      const gone = presence(mesh.owner, { lastPingAt: T0 - 20 });
      for (const p of [old, older, fresh, gone]) await store.upsertPresence(p);
      await store.markPresenceDisconnected(gone.id, T0);
      expect((await store.stalePresences(T0 + 50, 10)).map((p) => p.id)).toEqual([older.id, old.id]);
      expect((await store.stalePresences(T0 + 50, 1)).map((p) => p.id)).toEqual([older.id]);
    });

    it("node shutdown releases the claims its presences held, so they are offered again at once", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const held = presence(peer, { nodeId: "crashed" });
      await store.upsertPresence(held);
      await store.acceptMessages([dmToMember(sender(mesh.owner), peer)]);
      const first = await store.claimDeliveries([memberScope(peer, held.id)], T0, LEASE_MS, 10);
      expect(first[0]).toHaveLength(1);
      await store.disconnectNodePresences("crashed", T0 + 1);
      const again = await store.claimDeliveries([memberScope(peer, "fresh")], T0 + 2, LEASE_MS, 10);
      expect(again[0]).toHaveLength(1);
    });
  });
}
