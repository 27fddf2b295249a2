import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import type { AcceptInput } from "../../../src/broker/store/port/index.js";
import {
  LEASE_MS,
  T0,
  broadcast,
  claimedIds,
  dmToMember,
  dmToSession,
  hex64,
  memberScope,
  messageId,
  seedMesh,
  seedPeer,
  sender,
  sessionScope,
  uid,
} from "./fixtures.js";

export function claimsContract(ctx: ContractContext): void {
  describe("claimDeliveries", () => {
    it("claims a member-level DM with the full message, setting the lease and attempts", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const input = dmToMember(sender(mesh.owner), peer, {
        clientMessageId: "c1",
        topicId: null,
        bodyVersion: 1,
      });
      await store.acceptMessages([input]);
      const [rows] = await store.claimDeliveries([memberScope(peer, "p1")], T0, LEASE_MS, 10);
      expect(rows).toEqual([
        {
          deliveryId: expect.any(Number),
          recipientKind: "member",
          recipientPubkey: peer.pubkey,
          attempts: 1,
          message: input.message,
        },
      ]);
      // Leased: nobody else gets it until the lease ends.
      expect(await store.claimDeliveries([memberScope(peer, "p2")], T0 + LEASE_MS - 1, LEASE_MS, 10)).toEqual(
        [[]],
      );
      const [again] = await store.claimDeliveries([memberScope(peer, "p2")], T0 + LEASE_MS, LEASE_MS, 10);
      expect(again?.map((r) => [r.message.id, r.attempts])).toEqual([[input.message.id, 2]]);
    });

    it("claims the message that committed, never one from an accept that rolled back", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const from = sender(mesh.owner);
      const rolledBack = dmToMember(from, peer, { ciphertext: "cm9sbGVkIGJhY2s=" });
      await expect(
        store.transaction(async () => {
          await store.acceptMessages([rolledBack]);
          throw new Error("batch failed");
        }),
      ).rejects.toThrow("batch failed");
      // The next accept may be handed the row number the rolled-back one had.
      const committed = dmToMember(from, peer, { ciphertext: "Y29tbWl0dGVk" });
      await store.acceptMessages([committed]);
      const [rows] = await store.claimDeliveries([memberScope(peer, "p1")], T0, LEASE_MS, 10);
      expect(rows?.map((r) => r.message)).toEqual([committed.message]);
    });

    it("gives session-level rows only to that session key, member-level rows only to member scopes", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const key = hex64();
      const from = sender(mesh.owner);
      const toSession = dmToSession(from, peer, key);
      const toMember = dmToMember(from, peer);
      await store.acceptMessages([toSession, toMember]);
      const result = await store.claimDeliveries(
        [sessionScope(peer, "other-session", hex64()), sessionScope(peer, "s", key), memberScope(peer, "cp")],
        T0,
        LEASE_MS,
        10,
      );
      expect(claimedIds(result)).toEqual([[], [toSession.message.id], [toMember.message.id]]);
      expect(result[1]?.[0]).toMatchObject({ recipientKind: "session", recipientPubkey: key });
    });

    it("claims in accept order, even when accept times tie in one millisecond", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const from = sender(mesh.owner);
      // Ids sort opposite to accept order, so ordering by (createdAt, id) would be wrong here.
      const ids = ["z", "y", "x", "w", "v", "u"].map((c) => messageId(c.repeat(8)));
      const inputs = ids.map((id) => dmToMember(from, peer, { id, createdAt: T0 }));
      await store.acceptMessages(inputs.slice(0, 3));
      for (const input of inputs.slice(3)) await store.acceptMessages([input]);
      const first = await store.claimDeliveries([memberScope(peer, "p")], T0, LEASE_MS, 4);
      const rest = await store.claimDeliveries([memberScope(peer, "p")], T0, LEASE_MS, 4);
      expect([...claimedIds(first), ...claimedIds(rest)].flat()).toEqual(ids);
    });

    it("merges a session presence's session-level and member-level rows in accept order", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const key = hex64();
      const from = sender(mesh.owner);
      const inputs = [
        dmToMember(from, peer),
        dmToSession(from, peer, key),
        dmToMember(from, peer),
        dmToSession(from, peer, key),
      ];
      await store.acceptMessages(inputs);
      const scope = sessionScope(peer, "s", key, { memberId: peer.id });
      const first = await store.claimDeliveries([scope], T0, LEASE_MS, 3);
      const second = await store.claimDeliveries([scope], T0, LEASE_MS, 3);
      const ids = inputs.map((i) => i.message.id);
      expect(claimedIds(first)).toEqual([ids.slice(0, 3)]);
      expect(claimedIds(second)).toEqual([ids.slice(3)]);
    });

    it("gives concurrent claimers disjoint sets that cover every eligible delivery", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const from = sender(mesh.owner);
      const inputs = Array.from({ length: 40 }, () => dmToMember(from, peer));
      await store.acceptMessages(inputs);
      const calls = Array.from({ length: 6 }, (_, i) =>
        store.claimDeliveries([memberScope(peer, `p${i}`), memberScope(peer, `q${i}`)], T0, LEASE_MS, 4),
      );
      const drained = (await Promise.all(calls)).flatMap((r) => claimedIds(r).flat());
      const rest = claimedIds(
        await store.claimDeliveries([memberScope(peer, "last")], T0, LEASE_MS, 100),
      ).flat();
      const all = [...drained, ...rest];
      expect(new Set(all).size).toBe(all.length);
      expect([...all].sort()).toEqual(inputs.map((i) => i.message.id).sort());
      expect(drained).toHaveLength(40);
    });

    it("claims for many scopes in one call: each its own rows, own limit and priorities, none shared", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 3);
      const [a, b, c] = mesh.members;
      if (!a || !b || !c) throw new Error("fixture");
      const from = sender(mesh.owner);
      const toA = Array.from({ length: 3 }, () => dmToMember(from, a));
      const toB = [dmToMember(from, b, { priority: "low" }), dmToMember(from, b, { priority: "now" })];
      const toC = Array.from({ length: 5 }, () => dmToMember(from, c));
      await store.acceptMessages([...toA, ...toB, ...toC]);
      const ids = (inputs: AcceptInput[]) => inputs.map((i) => i.message.id);
      const result = await store.claimDeliveries(
        [
          memberScope(c, "c1"),
          memberScope(a, "a1"),
          memberScope(b, "b1", { priorities: ["now"] }),
          // A second presence of the same member in the same call takes what the first left.
          memberScope(c, "c2"),
        ],
        T0,
        LEASE_MS,
        2,
      );
      expect(claimedIds(result)).toEqual([
        ids(toC.slice(0, 2)),
        ids(toA.slice(0, 2)),
        ids(toB.slice(1)),
        ids(toC.slice(2, 4)),
      ]);
      expect(result[3]?.every((d) => d.attempts === 1)).toBe(true);
    });

    it("never lets the sending presence claim its own DM, while a sibling presence can", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const key = hex64();
      const from = sender(mesh.owner, "sending-presence");
      const toSelf = dmToMember(from, mesh.owner);
      const toOwnSession = dmToSession(from, mesh.owner, key);
      await store.acceptMessages([toSelf, toOwnSession]);
      const own = await store.claimDeliveries(
        [sessionScope(mesh.owner, "sending-presence", key, { memberId: mesh.owner.id })],
        T0,
        LEASE_MS,
        10,
      );
      expect(own).toEqual([[]]);
      const sibling = await store.claimDeliveries([memberScope(mesh.owner, "sibling")], T0, LEASE_MS, 10);
      expect(claimedIds(sibling)).toEqual([[toSelf.message.id]]);
    });

    it("lets only the allowed priorities through", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const from = sender(mesh.owner);
      const low = dmToMember(from, peer, { priority: "low" });
      const now = dmToMember(from, peer, { priority: "now" });
      const next = dmToMember(from, peer, { priority: "next" });
      await store.acceptMessages([low, now, next]);
      const working = await store.claimDeliveries(
        [memberScope(peer, "p", { priorities: ["now"] })],
        T0,
        LEASE_MS,
        10,
      );
      expect(claimedIds(working)).toEqual([[now.message.id]]);
      const blocked = await store.claimDeliveries(
        [memberScope(peer, "p", { priorities: [] })],
        T0,
        LEASE_MS,
        10,
      );
      expect(blocked).toEqual([[]]);
      const idle = await store.claimDeliveries(
        [memberScope(peer, "p", { priorities: ["low", "next"] })],
        T0,
        LEASE_MS,
        10,
      );
      expect(claimedIds(idle)).toEqual([[low.message.id, next.message.id]]);
    });

    it("keeps multicast away from hidden presences but still hands them DMs", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const from = sender(mesh.owner);
      const all = broadcast(from, [peer]);
      const group = broadcast(from, [peer], { targetSpec: "@dev" });
      const topic = broadcast(from, [peer], { targetSpec: "#general", topicId: uid("topic") });
      const dm = dmToMember(from, peer);
      await store.acceptMessages([all, group, topic, dm]);
      const hidden = await store.claimDeliveries(
        [memberScope(peer, "p", { multicast: false })],
        T0,
        LEASE_MS,
        10,
      );
      expect(claimedIds(hidden)).toEqual([[dm.message.id]]);
      const visible = await store.claimDeliveries([memberScope(peer, "p")], T0, LEASE_MS, 10);
      expect(claimedIds(visible)).toEqual([[all.message.id, group.message.id, topic.message.id]]);
    });

    it("never claims across meshes", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const other = await seedMesh(store, 0);
      const key = hex64();
      await store.acceptMessages([
        dmToMember(sender(mesh.owner), peer),
        dmToSession(sender(mesh.owner), peer, key),
      ]);
      const foreign = await store.claimDeliveries(
        [
          memberScope(peer, "p", { meshId: other.id }),
          sessionScope(peer, "s", key, { meshId: other.id, memberId: peer.id }),
        ],
        T0,
        LEASE_MS,
        10,
      );
      expect(foreign).toEqual([[], []]);
    });

    it("answers one list per scope, empty for no scopes or a zero limit", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      await store.acceptMessages([dmToMember(sender(mesh.owner), peer)]);
      expect(await store.claimDeliveries([], T0, LEASE_MS, 10)).toEqual([]);
      expect(
        await store.claimDeliveries([memberScope(peer, "a"), memberScope(peer, "b")], T0, LEASE_MS, 0),
      ).toEqual([[], []]);
      const two = await store.claimDeliveries(
        [memberScope(peer, "a"), memberScope(peer, "b")],
        T0,
        LEASE_MS,
        10,
      );
      expect(two.map((rows) => rows.length)).toEqual([1, 0]);
    });
  });
}
