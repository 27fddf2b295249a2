import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import {
  DAY_MS,
  LEASE_MS,
  T0,
  ack,
  broadcast,
  dmToMember,
  memberScope,
  presence,
  seedMesh,
  seedPeer,
  sender,
  uid,
  withKey,
  findIdempotency,
} from "./fixtures.js";

export function retentionContract(ctx: ContractContext): void {
  describe("queue depth and retention", () => {
    it("counts pending and claimed deliveries in every mesh", async () => {
      const store = ctx.store();
      const a = await seedMesh(store, 1);
      const b = await seedMesh(store, 1);
      const [peerA] = a.members;
      const [peerB] = b.members;
      if (!peerA || !peerB) throw new Error("fixture");
      const delivered = dmToMember(sender(a.owner), peerA);
      await store.acceptMessages([
        dmToMember(sender(a.owner), peerA),
        delivered,
        dmToMember(sender(b.owner), peerB),
      ]);
      await store.claimDeliveries([memberScope(peerA, "p")], T0, LEASE_MS, 1);
      await store.ackDeliveries([ack(peerA, "p", { broker: delivered.message.id })], T0);
      expect(await store.queueDepth()).toBe(2);
    });

    it("sweeps in bounded rounds: each touches at most `limit` rows per step until done", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const from = sender(mesh.owner);
      const old = Array.from({ length: 5 }, () => dmToMember(from, peer, { createdAt: T0 }));
      await store.acceptMessages(old);
      const rounds = [];
      for (;;) {
        const round = await store.sweep(T0 + 7 * DAY_MS, 2);
        rounds.push(round);
        expect(round.expiredDeliveries).toBeLessThanOrEqual(2);
        expect(round.deletedMessages).toBeLessThanOrEqual(2);
        if (round.done) break;
        expect(rounds.length).toBeLessThan(10);
      }
      expect(rounds.length).toBeGreaterThan(2);
      expect(rounds.reduce((n, r) => n + r.expiredDeliveries, 0)).toBe(5);
      expect(rounds.reduce((n, r) => n + r.deletedMessages, 0)).toBe(5);
      expect(await store.queueDepth()).toBe(0);
      for (const input of old) {
        expect(await store.lookupMessage(mesh.id, mesh.owner.id, input.message.id)).toEqual({
          status: "not_found",
        });
      }
      await expect(store.sweep(T0, 0)).rejects.toThrow(RangeError);
    });

    it("expires undelivered deliveries after 7 days and then drops the message", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const from = sender(mesh.owner);
      const old = dmToMember(from, peer, { createdAt: T0 });
      const recent = dmToMember(from, peer, { createdAt: T0 + DAY_MS });
      await store.acceptMessages([old, recent]);
      await store.claimDeliveries([memberScope(peer, "p")], T0, LEASE_MS, 1);

      const early = await store.sweep(T0 + 7 * DAY_MS - 1, 1_000);
      expect(early).toMatchObject({ expiredDeliveries: 0, deletedMessages: 0 });
      const result = await store.sweep(T0 + 7 * DAY_MS, 1_000);
      expect(result).toMatchObject({ expiredDeliveries: 1, deletedMessages: 1 });
      expect(await store.lookupMessage(mesh.id, mesh.owner.id, old.message.id)).toEqual({
        status: "not_found",
      });
      expect(await store.lookupMessage(mesh.id, mesh.owner.id, recent.message.id)).toMatchObject({
        status: "ok",
      });
      expect(await store.queueDepth()).toBe(1);
      const [rows = []] = await store.claimDeliveries(
        [memberScope(peer, "p")],
        T0 + 7 * DAY_MS,
        LEASE_MS,
        10,
      );
      expect(rows.map((r) => r.message.id)).toEqual([recent.message.id]);
    });

    it("drops bodies once every delivery is finished, keeps topic bodies", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 2);
      const [a, b] = mesh.members;
      if (!a || !b) throw new Error("fixture");
      const from = sender(mesh.owner);
      const done = broadcast(from, [a, b]);
      const half = broadcast(from, [a, b]);
      const empty = broadcast(from, []);
      const topic = broadcast(from, [a], { targetSpec: "#general", topicId: uid("topic") });
      await store.acceptMessages([done, half, empty, topic]);
      await store.ackDeliveries(
        [
          ack(a, "pa", { broker: done.message.id }),
          ack(b, "pb", { broker: done.message.id }),
          ack(a, "pa", { broker: half.message.id }),
          ack(a, "pa", { broker: topic.message.id }),
        ],
        T0,
      );
      const result = await store.sweep(T0 + 1, 1_000);
      expect(result).toEqual({
        expiredDeliveries: 0,
        deletedBodies: 2,
        deletedMessages: 0,
        deletedIdempotency: 0,
        deletedPresences: 0,
        done: true,
      });
      const body = async (id: string) => {
        const found = await store.lookupMessage(mesh.id, mesh.owner.id, id);
        return found.status === "ok" ? [found.message.nonce, found.message.ciphertext] : found.status;
      };
      expect(await body(done.message.id)).toEqual(["", ""]);
      expect(await body(empty.message.id)).toEqual(["", ""]);
      expect(await body(half.message.id)).toEqual([half.message.nonce, half.message.ciphertext]);
      expect(await body(topic.message.id)).toEqual([topic.message.nonce, topic.message.ciphertext]);
      expect((await store.sweep(T0 + 2, 1_000)).deletedBodies).toBe(0);
      // The undelivered copy still reaches its recipient with its body.
      const [rows = []] = await store.claimDeliveries([memberScope(b, "pb")], T0 + 2, LEASE_MS, 10);
      expect(rows.map((r) => r.message.ciphertext)).toEqual([half.message.ciphertext]);
    });

    it("deletes idempotency records after 8 days", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      await store.acceptMessages([withKey(dmToMember(sender(mesh.owner), peer), "k")]);
      expect((await store.sweep(T0 + 8 * DAY_MS - 1, 1_000)).deletedIdempotency).toBe(0);
      expect(await findIdempotency(store, mesh.id, mesh.owner.id, "k", T0 + 8 * DAY_MS - 1)).not.toBeNull();
      expect((await store.sweep(T0 + 8 * DAY_MS, 1_000)).deletedIdempotency).toBe(1);
      expect(await findIdempotency(store, mesh.id, mesh.owner.id, "k", T0)).toBeNull();
    });

    it("deletes presences disconnected for 30 days, never live ones", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const gone = presence(mesh.owner);
      const recent = presence(mesh.owner);
      const live = presence(mesh.owner, { lastPingAt: T0 - 90 * DAY_MS });
      for (const p of [gone, recent, live]) await store.upsertPresence(p);
      await store.markPresenceDisconnected(gone.id, T0);
      await store.markPresenceDisconnected(recent.id, T0 + DAY_MS);
      expect((await store.sweep(T0 + 30 * DAY_MS, 1_000)).deletedPresences).toBe(1);
      expect((await store.listPresences(mesh.id)).map((p) => p.id)).toEqual([live.id]);
      // The deleted row is really gone: upserting the id again starts from scratch.
      await store.upsertPresence({ ...gone, disconnectedAt: null });
      expect(await store.countPresences(mesh.id)).toBe(2);
    });

    it("drops expired replay signatures so they can be recorded again", async () => {
      const store = ctx.store();
      await store.recordSignature("aa", T0 + 120_000, T0);
      await store.sweep(T0 + 120_000, 1_000);
      expect(await store.recordSignature("aa", T0 + 240_000, T0 + 120_000)).toBe(true);
      expect(await store.recordSignature("aa", T0 + 240_000, T0 + 120_001)).toBe(false);
    });
  });
}
