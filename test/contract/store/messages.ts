import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import {
  DAY_MS,
  T0,
  broadcast,
  dmToMember,
  findIdempotency,
  messageId,
  seedMesh,
  sender,
  toMemberDelivery,
  uid,
  withKey,
} from "./fixtures.js";

export function messagesContract(ctx: ContractContext): void {
  describe("acceptMessages", () => {
    it("stores the message and one pending delivery per recipient", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 2);
      const from = sender(mesh.owner);
      const input = broadcast(from, mesh.members, {
        bodyVersion: 2,
        replyToId: messageId(),
        requestFingerprint: "a".repeat(64),
        clientMessageId: "cm-1",
        priority: "now",
      });
      expect(await store.acceptMessages([input])).toEqual([{ kind: "created", messageId: input.message.id }]);
      const found = await store.lookupMessage(mesh.id, mesh.owner.id, input.message.id);
      expect(found).toEqual({
        status: "ok",
        message: input.message,
        deliveries: mesh.members.map((m) => ({
          recipientKind: "member",
          recipientMemberId: m.id,
          recipientPubkey: m.pubkey,
          state: "pending",
          deliveredAt: null,
        })),
      });
      expect(await store.queueDepth()).toBe(2);
    });

    it("accepts a message with no recipients (a one-member mesh broadcast)", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const input = broadcast(sender(mesh.owner), []);
      expect(await store.acceptMessages([input])).toEqual([{ kind: "created", messageId: input.message.id }]);
      expect(await store.queueDepth()).toBe(0);
      expect(await store.acceptMessages([])).toEqual([]);
    });

    it("answers a retry with the same key and fingerprint as a duplicate, writing nothing", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const from = sender(mesh.owner);
      const first = withKey(dmToMember(from, peer), "key-1", "1".repeat(64));
      const retry = withKey(dmToMember(from, peer, { createdAt: T0 + 5 }), "key-1", "1".repeat(64));
      expect(await store.acceptMessages([first])).toEqual([{ kind: "created", messageId: first.message.id }]);
      expect(await store.acceptMessages([retry])).toEqual([
        { kind: "duplicate", messageId: first.message.id },
      ]);
      expect(await store.lookupMessage(mesh.id, mesh.owner.id, retry.message.id)).toEqual({
        status: "not_found",
      });
      expect(await store.queueDepth()).toBe(1);
      expect(await findIdempotency(store, mesh.id, mesh.owner.id, "key-1", T0 + 10)).toEqual({
        fingerprint: "1".repeat(64),
        messageId: first.message.id,
      });
    });

    it("refuses the same key with another fingerprint, writing nothing", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const from = sender(mesh.owner);
      await store.acceptMessages([withKey(dmToMember(from, peer), "key-1", "1".repeat(64))]);
      const other = withKey(dmToMember(from, peer), "key-1", "2".repeat(64));
      expect(await store.acceptMessages([other])).toEqual([{ kind: "mismatch" }]);
      expect(await store.lookupMessage(mesh.id, mesh.owner.id, other.message.id)).toEqual({
        status: "not_found",
      });
      expect(await store.queueDepth()).toBe(1);
    });

    it("treats a repeated key inside one batch like a retry of the first item", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const from = sender(mesh.owner);
      const a = withKey(dmToMember(from, peer), "k", "1".repeat(64));
      const b = withKey(dmToMember(from, peer), "k", "1".repeat(64));
      const c = withKey(dmToMember(from, peer), "k", "2".repeat(64));
      const d = dmToMember(from, peer);
      expect(await store.acceptMessages([a, b, c, d])).toEqual([
        { kind: "created", messageId: a.message.id },
        { kind: "duplicate", messageId: a.message.id },
        { kind: "mismatch" },
        { kind: "created", messageId: d.message.id },
      ]);
      expect(await store.queueDepth()).toBe(2);
    });

    it("keys idempotency by mesh and sender member", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const other = await seedMesh(store, 1);
      const [peer] = mesh.members;
      const [otherPeer] = other.members;
      if (!peer || !otherPeer) throw new Error("fixture");
      const outcomes = await store.acceptMessages([
        withKey(dmToMember(sender(mesh.owner), peer), "same"),
        withKey(dmToMember(sender(peer), mesh.owner), "same"),
        withKey(dmToMember(sender(other.owner), otherPeer), "same"),
      ]);
      expect(outcomes.map((o) => o.kind)).toEqual(["created", "created", "created"]);
      expect(await findIdempotency(store, mesh.id, peer.id, "same", T0)).not.toBeNull();
      expect(await findIdempotency(store, mesh.id, uid("nobody"), "same", T0)).toBeNull();
    });

    it("forgets idempotency records after 8 days, not before", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const from = sender(mesh.owner);
      const first = withKey(dmToMember(from, peer), "k", "1".repeat(64));
      await store.acceptMessages([first]);
      const justBefore = T0 + 8 * DAY_MS - 1;
      expect(await findIdempotency(store, mesh.id, mesh.owner.id, "k", justBefore)).not.toBeNull();
      const early = withKey(dmToMember(from, peer, { createdAt: justBefore }), "k", "2".repeat(64));
      expect(await store.acceptMessages([early])).toEqual([{ kind: "mismatch" }]);

      const after = T0 + 8 * DAY_MS;
      expect(await findIdempotency(store, mesh.id, mesh.owner.id, "k", after)).toBeNull();
      const fresh = withKey(dmToMember(from, peer, { createdAt: after }), "k", "2".repeat(64));
      expect(await store.acceptMessages([fresh])).toEqual([{ kind: "created", messageId: fresh.message.id }]);
      expect(await findIdempotency(store, mesh.id, mesh.owner.id, "k", after)).toEqual({
        fingerprint: "2".repeat(64),
        messageId: fresh.message.id,
      });
    });

    it("writes nothing from a batch that fails", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const from = sender(mesh.owner);
      const good = withKey(dmToMember(from, peer), "good");
      const clash = dmToMember(from, peer);
      await expect(store.acceptMessages([good, clash, { ...clash }])).rejects.toThrow();
      expect(await store.queueDepth()).toBe(0);
      expect(await findIdempotency(store, mesh.id, mesh.owner.id, "good", T0)).toBeNull();
      expect(await store.lookupMessage(mesh.id, mesh.owner.id, good.message.id)).toEqual({
        status: "not_found",
      });
    });
  });

  describe("findIdempotencies (one call per batch)", () => {
    it("answers each key in input order: the live record, or null", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const first = withKey(dmToMember(sender(mesh.owner), peer), "k1", "1".repeat(64));
      const second = withKey(dmToMember(sender(peer), mesh.owner), "k2", "2".repeat(64));
      const old = withKey(dmToMember(sender(mesh.owner), peer, { createdAt: T0 - 8 * DAY_MS }), "old");
      await store.acceptMessages([first, second, old]);
      const key = (memberId: string, clientMessageId: string) => ({
        meshId: mesh.id,
        senderMemberId: memberId,
        clientMessageId,
      });
      const records = await store.findIdempotencies(
        [
          key(peer.id, "k2"),
          key(mesh.owner.id, "k1"),
          key(mesh.owner.id, "k2"), // another member's key
          key(mesh.owner.id, "old"), // older than 8 days
          { meshId: uid("mesh"), senderMemberId: mesh.owner.id, clientMessageId: "k1" },
          key(mesh.owner.id, "k1"),
        ],
        T0,
      );
      const k1 = { fingerprint: "1".repeat(64), messageId: first.message.id };
      expect(records).toEqual([
        { fingerprint: "2".repeat(64), messageId: second.message.id },
        k1,
        null,
        null,
        null,
        k1,
      ]);
      expect(await store.findIdempotencies([], T0)).toEqual([]);
    });
  });

  describe("lookupMessage", () => {
    it("finds by full id or unique 8-31 char prefix, only for the sender and mesh", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const other = await seedMesh(store, 0);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      const mine = dmToMember(sender(mesh.owner), peer, { id: messageId("PFXabcde1") });
      const sibling = dmToMember(sender(mesh.owner), peer, { id: messageId("PFXabcde2") });
      const peers = dmToMember(sender(peer), mesh.owner, { id: messageId("PFXabcde3") });
      const foreign = broadcast(sender(other.owner), [], { id: messageId("PFXabcde4") });
      await store.acceptMessages([mine, sibling, peers, foreign]);

      const lookup = (meshId: string, memberId: string, id: string) =>
        store.lookupMessage(meshId, memberId, id);
      expect(await lookup(mesh.id, mesh.owner.id, mine.message.id)).toMatchObject({ status: "ok" });
      expect(await lookup(mesh.id, mesh.owner.id, "PFXabcde1")).toMatchObject({
        status: "ok",
        message: { id: mine.message.id },
      });
      expect(await lookup(mesh.id, mesh.owner.id, mine.message.id.slice(0, 31))).toMatchObject({
        status: "ok",
      });
      expect(await lookup(mesh.id, mesh.owner.id, "PFXabcde")).toEqual({ status: "ambiguous" });
      // Another sender's (or another mesh's) messages neither match nor make a prefix ambiguous.
      expect(await lookup(mesh.id, mesh.owner.id, "PFXabcde3")).toEqual({ status: "not_found" });
      expect(await lookup(mesh.id, peer.id, "PFXabcde")).toMatchObject({
        status: "ok",
        message: { id: peers.message.id },
      });
      expect(await lookup(mesh.id, mesh.owner.id, foreign.message.id)).toEqual({ status: "not_found" });
      expect(await lookup(other.id, mesh.owner.id, mine.message.id)).toEqual({ status: "not_found" });
      expect(await lookup(mesh.id, peer.id, mine.message.id)).toEqual({ status: "not_found" });
      // Case matters: ids are case-sensitive.
      expect(await lookup(mesh.id, mesh.owner.id, "pfxABCDE1")).toEqual({ status: "not_found" });
    });

    it("refuses malformed ids and prefixes shorter than 8", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const input = broadcast(sender(mesh.owner), []);
      await store.acceptMessages([input]);
      for (const bad of [
        input.message.id.slice(0, 7),
        "",
        `${input.message.id}X`,
        "abc%def_gh",
        "ABCDEFG-",
      ]) {
        expect(await store.lookupMessage(mesh.id, mesh.owner.id, bad)).toEqual({ status: "not_found" });
      }
    });

    it("reports each delivery's state", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 2);
      const [a, b] = mesh.members;
      if (!a || !b) throw new Error("fixture");
      const input = {
        ...broadcast(sender(mesh.owner), []),
        deliveries: [toMemberDelivery(a), toMemberDelivery(b)],
      };
      await store.acceptMessages([input]);
      await store.ackDeliveries(
        [
          {
            meshId: mesh.id,
            presenceId: uid("p"),
            sessionPubkey: null,
            memberId: b.id,
            brokerMessageId: input.message.id,
            clientMessageId: null,
          },
        ],
        T0 + 7,
      );
      const found = await store.lookupMessage(mesh.id, mesh.owner.id, input.message.id);
      expect(found.status === "ok" && found.deliveries).toEqual([
        {
          recipientKind: "member",
          recipientMemberId: a.id,
          recipientPubkey: a.pubkey,
          state: "pending",
          deliveredAt: null,
        },
        {
          recipientKind: "member",
          recipientMemberId: b.id,
          recipientPubkey: b.pubkey,
          state: "delivered",
          deliveredAt: T0 + 7,
        },
      ]);
    });
  });
}
