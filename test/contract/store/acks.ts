import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import {
  LEASE_MS,
  T0,
  ack,
  broadcast,
  deliveryStates,
  dmToMember,
  dmToSession,
  hex64,
  memberScope,
  seedMesh,
  seedPeer,
  sender,
  sessionScope,
} from "./fixtures.js";

export function acksContract(ctx: ContractContext): void {
  describe("ackDeliveries", () => {
    it("marks a claimed delivery delivered by broker id, once", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const input = dmToMember(sender(mesh.owner), peer);
      await store.acceptMessages([input]);
      await store.claimDeliveries([memberScope(peer, "p")], T0, LEASE_MS, 10);
      expect(await store.ackDeliveries([ack(peer, "p", { broker: input.message.id })], T0 + 5)).toEqual([1]);
      expect(await store.ackDeliveries([ack(peer, "p", { broker: input.message.id })], T0 + 6)).toEqual([0]);
      const found = await store.lookupMessage(mesh.id, mesh.owner.id, input.message.id);
      expect(found.status === "ok" && found.deliveries[0]).toMatchObject({
        state: "delivered",
        deliveredAt: T0 + 5,
      });
      // Delivered rows are never offered again, lease or not.
      expect(await store.claimDeliveries([memberScope(peer, "p")], T0 + 10 * LEASE_MS, LEASE_MS, 10)).toEqual(
        [[]],
      );
      expect(await store.queueDepth()).toBe(0);
    });

    it("acks by client_message_id, and counts late acks of pending or lease-expired rows", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const from = sender(mesh.owner);
      const pending = dmToMember(from, peer, { clientMessageId: "client-1" });
      const expired = dmToMember(from, peer);
      await store.acceptMessages([expired]);
      await store.claimDeliveries([memberScope(peer, "p")], T0, LEASE_MS, 10);
      await store.acceptMessages([pending]);
      const counts = await store.ackDeliveries(
        [
          ack(peer, "p", { client: "client-1" }),
          ack(peer, "p", { broker: expired.message.id }),
          ack(peer, "p", {}),
        ],
        T0 + 2 * LEASE_MS,
      );
      expect(counts).toEqual([1, 1, 0]);
    });

    it("prefers the broker id: a reused client id never acks another message's copy", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 2);
      const [victim, other] = mesh.members;
      if (!victim || !other) throw new Error("fixture");
      const original = dmToMember(sender(mesh.owner), victim, { clientMessageId: "shared" });
      const copycat = dmToMember(sender(other), victim, { clientMessageId: "shared" });
      await store.acceptMessages([original, copycat]);
      const counts = await store.ackDeliveries(
        [ack(victim, "p", { broker: copycat.message.id, client: "shared" })],
        T0,
      );
      expect(counts).toEqual([1]);
      expect(await deliveryStates(store, mesh.id, mesh.owner.id, original.message.id)).toEqual(["pending"]);
    });

    it("acks only copies addressed to the acking presence", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 2);
      const other = await seedMesh(store, 0);
      const [a, b] = mesh.members;
      if (!a || !b) throw new Error("fixture");
      const keyA = hex64();
      const from = sender(mesh.owner, "sender-presence");
      const all = broadcast(from, [a, b], { clientMessageId: "bc" });
      const sessionDm = dmToSession(from, a, keyA);
      const selfDm = dmToMember(from, mesh.owner);
      await store.acceptMessages([all, sessionDm, selfDm]);

      const refusals = [
        // b cannot ack a's copy of anything; it can ack its own copy only.
        ack(b, "pb", { broker: sessionDm.message.id }),
        // a member presence without the proven key cannot ack a session-level row...
        ack(a, "pa", { broker: sessionDm.message.id }),
        // ...nor can a presence proving another key.
        ack(a, "pa", { broker: sessionDm.message.id, sessionPubkey: hex64() }),
        // another mesh's presence with a's member id, the wrong mesh id.
        { ...ack(a, "pa", { broker: all.message.id }), meshId: other.id },
        // the sending presence cannot ack the DM it sent to its own member.
        ack(mesh.owner, "sender-presence", { broker: selfDm.message.id }),
      ];
      expect(await store.ackDeliveries(refusals, T0)).toEqual([0, 0, 0, 0, 0]);
      // One at a time too: a single ack may be written another way than a batch.
      for (const refusal of refusals) expect(await store.ackDeliveries([refusal], T0)).toEqual([0]);

      const accepted = await store.ackDeliveries(
        [
          ack(b, "pb", { client: "bc" }),
          ack(a, "pa-session", { broker: sessionDm.message.id, sessionPubkey: keyA }),
          ack(mesh.owner, "sibling", { broker: selfDm.message.id }),
        ],
        T0,
      );
      expect(accepted).toEqual([1, 1, 1]);
      expect(await deliveryStates(store, mesh.id, mesh.owner.id, all.message.id)).toEqual([
        "pending",
        "delivered",
      ]);
    });

    it("lets any non-excluded presence of the member ack a member-level row, whoever claimed it", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const key = hex64();
      const input = dmToMember(sender(mesh.owner), peer);
      await store.acceptMessages([input]);
      await store.claimDeliveries([memberScope(peer, "daemon")], T0, LEASE_MS, 10);
      const counts = await store.ackDeliveries(
        [ack(peer, "session", { broker: input.message.id, sessionPubkey: key })],
        T0,
      );
      expect(counts).toEqual([1]);
      expect(
        await store.claimDeliveries(
          [sessionScope(peer, "x", key, { memberId: peer.id })],
          T0 + LEASE_MS,
          LEASE_MS,
          5,
        ),
      ).toEqual([[]]);
    });
  });
}
