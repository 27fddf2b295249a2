import { describe, expect, it } from "vitest";
import type { DueRecipient } from "../../../src/broker/store/port/index.js";
import type { ContractContext } from "./context.js";
import {
  LEASE_MS,
  T0,
  ack,
  broadcast,
  deliveryStates,
  claimedIds,
  dmToMember,
  dmToSession,
  hex64,
  memberScope,
  seedMesh,
  seedPeer,
  sender,
  sessionScope,
} from "./fixtures.js";

function sortRecipients(list: DueRecipient[]): DueRecipient[] {
  return [...list].sort((x, y) =>
    `${x.recipientKind}${x.recipientPubkey}`.localeCompare(`${y.recipientKind}${y.recipientPubkey}`),
  );
}

export function redeliveryContract(ctx: ContractContext): void {
  describe("release, lease expiry and backoff", () => {
    it("releases a presence's claims at once and reports their recipients", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const key = hex64();
      const from = sender(mesh.owner);
      const inputs = [dmToMember(from, peer), dmToMember(from, peer), dmToSession(from, peer, key)];
      const kept = dmToMember(from, peer);
      await store.acceptMessages([...inputs, kept]);
      await store.claimDeliveries([sessionScope(peer, "p1", key, { memberId: peer.id })], T0, LEASE_MS, 3);
      await store.claimDeliveries([memberScope(peer, "p2")], T0, LEASE_MS, 3);

      const released = await store.releaseClaims("p1");
      expect(sortRecipients(released)).toEqual(
        sortRecipients([
          {
            meshId: mesh.id,
            recipientKind: "member",
            recipientMemberId: peer.id,
            recipientPubkey: peer.pubkey,
          },
          { meshId: mesh.id, recipientKind: "session", recipientMemberId: peer.id, recipientPubkey: key },
        ]),
      );
      expect(await store.releaseClaims("p1")).toEqual([]);
      // Offered again right away, long before the lease would have ended; p2's claim stays.
      const again = await store.claimDeliveries(
        [sessionScope(peer, "p3", key, { memberId: peer.id })],
        T0 + 1,
        LEASE_MS,
        10,
      );
      expect(claimedIds(again)).toEqual([inputs.map((i) => i.message.id)]);
    });

    it("reports recipients whose lease expired, until they are claimed again", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 2);
      const [a, b] = mesh.members;
      if (!a || !b) throw new Error("fixture");
      const from = sender(mesh.owner);
      await store.acceptMessages([dmToMember(from, a), dmToMember(from, a), dmToMember(from, b)]);
      await store.claimDeliveries([memberScope(a, "pa")], T0, LEASE_MS, 10);
      expect(await store.dueRecipients(T0 + LEASE_MS - 1)).toEqual([]);
      const due = await store.dueRecipients(T0 + LEASE_MS);
      expect(due).toEqual([
        { meshId: mesh.id, recipientKind: "member", recipientMemberId: a.id, recipientPubkey: a.pubkey },
      ]);
      expect(await store.dueRecipients(T0 + LEASE_MS + 1)).toEqual(due);
      await store.claimDeliveries([memberScope(a, "pa2")], T0 + LEASE_MS, LEASE_MS, 10);
      expect(await store.dueRecipients(T0 + LEASE_MS + 1)).toEqual([]);
    });

    it("backs off from the 6th attempt: 1 min doubling up to 10 min", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const input = dmToMember(sender(mesh.owner), peer);
      await store.acceptMessages([input]);
      const scope = memberScope(peer, "p");
      let now = T0;
      const claimAt = async (at: number): Promise<number | undefined> =>
        (await store.claimDeliveries([scope], at, LEASE_MS, 10))[0]?.[0]?.attempts;

      for (let attempt = 1; attempt <= 5; attempt++) {
        expect(await claimAt(now)).toBe(attempt);
        now += LEASE_MS;
      }
      const waits = [60_000, 120_000, 240_000, 480_000, 600_000, 600_000];
      for (const [i, wait] of waits.entries()) {
        expect(await store.dueRecipients(now + wait - 1)).toEqual([]);
        expect(await claimAt(now + wait - 1)).toBeUndefined();
        expect(await store.dueRecipients(now + wait)).toHaveLength(1);
        expect(await claimAt(now + wait)).toBe(6 + i);
        now += wait + LEASE_MS;
      }
    });

    it("resets the backoff when the recipient reconnects", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const key = hex64();
      const from = sender(mesh.owner);
      await store.acceptMessages([dmToMember(from, peer), dmToSession(from, peer, key)]);
      const scope = sessionScope(peer, "p", key, { memberId: peer.id });
      let now = T0;
      for (let attempt = 1; attempt <= 5; attempt++) {
        await store.claimDeliveries([scope], now, LEASE_MS, 10);
        now += LEASE_MS;
      }
      expect(await store.claimDeliveries([scope], now, LEASE_MS, 10)).toEqual([[]]);
      await store.resetBackoff(mesh.id, peer.id, null);
      expect(
        (await store.claimDeliveries([scope], now, LEASE_MS, 10))[0]?.map((r) => r.recipientKind),
      ).toEqual(["member"]);
      await store.resetBackoff(mesh.id, peer.id, key);
      expect(
        (await store.claimDeliveries([scope], now, LEASE_MS, 10))[0]?.map((r) => r.recipientKind),
      ).toEqual(["session"]);
    });

    it("marks claimed deliveries delivered for non-acking connections", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const from = sender(mesh.owner);
      const untouched = dmToMember(from, peer);
      const inputs = [dmToMember(from, peer), dmToMember(from, peer), dmToMember(from, peer), untouched];
      await store.acceptMessages(inputs);
      const [mine = []] = await store.claimDeliveries([memberScope(peer, "p1")], T0, LEASE_MS, 2);
      const [theirs = []] = await store.claimDeliveries([memberScope(peer, "p2")], T0, LEASE_MS, 1);
      await store.markDelivered([], T0);
      await store.markDelivered(
        theirs.map((r) => r.deliveryId),
        T0 + 1,
      );
      expect(await store.markPresenceClaimsDelivered("p1", T0 + 2)).toBe(2);
      expect(await store.markPresenceClaimsDelivered("p1", T0 + 3)).toBe(0);
      const delivered = [...mine, ...theirs].map((r) => r.message.id);
      for (const id of delivered)
        expect(await deliveryStates(store, mesh.id, mesh.owner.id, id)).toEqual(["delivered"]);
      expect(await deliveryStates(store, mesh.id, mesh.owner.id, untouched.message.id)).toEqual(["pending"]);
    });
  });

  describe("retargeting and revocation", () => {
    it("turns a gone session's undelivered rows into member-level rows of its member", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 2);
      const [peer, stranger] = mesh.members;
      if (!peer || !stranger) throw new Error("fixture");
      const key = hex64();
      const otherKey = hex64();
      const from = sender(mesh.owner);
      const claimed = dmToSession(from, peer, key);
      const pending = dmToSession(from, peer, key);
      const delivered = dmToSession(from, peer, key);
      const elsewhere = dmToSession(from, peer, otherKey);
      await store.acceptMessages([claimed, delivered]);
      await store.claimDeliveries([sessionScope(peer, "gone", key)], T0, LEASE_MS, 10);
      await store.ackDeliveries(
        [ack(peer, "gone", { broker: delivered.message.id, sessionPubkey: key })],
        T0,
      );
      await store.acceptMessages([pending, elsewhere]);

      expect(await store.retargetSessionDeliveries(mesh.id, key, stranger.id)).toBe(0);
      expect(await store.retargetSessionDeliveries(mesh.id, key, peer.id)).toBe(2);
      const [rows = []] = await store.claimDeliveries([memberScope(peer, "daemon")], T0 + 1, LEASE_MS, 10);
      expect(rows.map((r) => [r.message.id, r.recipientKind, r.recipientPubkey])).toEqual([
        [claimed.message.id, "member", key],
        [pending.message.id, "member", key],
      ]);
      const [other = []] = await store.claimDeliveries(
        [sessionScope(peer, "s2", otherKey)],
        T0 + 1,
        LEASE_MS,
        10,
      );
      expect(other.map((r) => r.message.id)).toEqual([elsewhere.message.id]);
    });

    it("on ban, expires the member's undelivered copies and cancels what it sent", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 2);
      const [banned, bystander] = mesh.members;
      if (!banned || !bystander) throw new Error("fixture");
      const fromOwner = sender(mesh.owner);
      const fromBanned = sender(banned);
      const acked = dmToMember(fromOwner, banned);
      const incoming = [dmToMember(fromOwner, banned), dmToMember(fromOwner, banned), acked];
      const outgoing = broadcast(fromBanned, [mesh.owner, bystander]);
      await store.acceptMessages([...incoming, outgoing]);
      await store.claimDeliveries([memberScope(banned, "pb")], T0, LEASE_MS, 1);
      await store.ackDeliveries(
        [
          ack(banned, "pb", { broker: acked.message.id }),
          ack(bystander, "px", { broker: outgoing.message.id }),
        ],
        T0,
      );

      await store.revokeDeliveries(banned.id);
      const incomingStates = await Promise.all(
        incoming.map((i) => deliveryStates(store, mesh.id, mesh.owner.id, i.message.id)),
      );
      expect(incomingStates).toEqual([["expired"], ["expired"], ["delivered"]]);
      expect(await deliveryStates(store, mesh.id, banned.id, outgoing.message.id)).toEqual([
        "cancelled",
        "delivered",
      ]);
      expect(await store.queueDepth()).toBe(0);
      const offered = await store.claimDeliveries(
        [memberScope(banned, "pb2"), memberScope(mesh.owner, "po")],
        T0 + 10 * LEASE_MS,
        LEASE_MS,
        10,
      );
      expect(offered).toEqual([[], []]);
    });
  });
}
