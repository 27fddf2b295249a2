import { describe, expect, it } from "vitest";
import type { NewSchedule, ScheduleRow, Store } from "../../../src/broker/store/port/index.js";
import type { ContractContext } from "./context.js";
import { T0, dmToMember, seedPeer, seedTwoMembers, sender, uid } from "./fixtures.js";

const MINUTE = 60_000;

function newSchedule(meshId: string, memberId: string, overrides: Partial<NewSchedule> = {}): NewSchedule {
  return {
    id: uid("sched"),
    meshId,
    memberId,
    to: "*",
    message: "stand-up in five",
    nonce: null,
    ciphertext: null,
    bodyVersion: null,
    priority: "now",
    cron: null,
    deliverAt: T0 + MINUTE,
    clientMessageId: null,
    createdAt: T0,
    ...overrides,
  };
}

async function create(store: Store, s: NewSchedule, maxActive = 100): Promise<ScheduleRow> {
  const outcome = await store.createSchedule(s, maxActive);
  if (outcome.kind !== "created") throw new Error(`fixture schedule: ${outcome.kind}`);
  return outcome.schedule;
}

/** One fire round as the scheduler runs it: lock the due entries and record each fired, in one transaction. */
async function fireDue(
  store: Store,
  now: number,
  next: (row: ScheduleRow) => number | null = () => null,
): Promise<ScheduleRow[]> {
  return store.transaction(async () => {
    const due = await store.lockDueSchedules(now, 100);
    await store.recordScheduleFires(due.map((row) => ({ id: row.id, fired: true, next: next(row) })));
    return due;
  });
}

export async function schedulesRacing([a, b]: [Store, Store]): Promise<void> {
  const { mesh } = await seedPeer(a);
  const entries = Array.from({ length: 20 }, (_, i) =>
    newSchedule(mesh.id, mesh.owner.id, { deliverAt: T0 + i }),
  );
  for (const s of entries) await create(a, s);
  // Rounds on both stores at once, as every node's scheduler runs: each entry is taken by exactly one.
  // SQLite's single writer makes a second transaction wait for the first: its rounds take turns.
  const round = (store: Store) =>
    store.transaction(async () => {
      const due = await store.lockDueSchedules(T0 + MINUTE, 5);
      await store.recordScheduleFires(due.map((row) => ({ id: row.id, fired: true, next: null })));
      return due.map((row) => row.id);
    });
  const stores = Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b));
  const rounds: string[][] = [];
  if (a.kind === "sqlite") for (const store of stores) rounds.push(await round(store));
  else rounds.push(...(await Promise.all(stores.map(round))));
  const taken = rounds.flat();
  expect(new Set(taken).size).toBe(taken.length);
  const rest = await fireDue(a, T0 + MINUTE);
  expect([...taken, ...rest.map((r) => r.id)].sort()).toEqual(entries.map((s) => s.id).sort());
  expect(await a.listSchedules(mesh.id, mesh.owner.id)).toEqual([]);
}

export function schedulesContract(ctx: ContractContext): void {
  describe("scheduled messages", () => {
    it("creates entries and lists a member's active ones, soonest first", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const later = newSchedule(mesh.id, mesh.owner.id, { deliverAt: T0 + 2 * MINUTE });
      const sooner = newSchedule(mesh.id, mesh.owner.id, {
        message: "",
        nonce: "bm9uY2U=",
        ciphertext: "Y2lwaGVy",
        bodyVersion: 2,
        cron: "*/5 * * * *",
        priority: "next",
        clientMessageId: "cm-1",
      });
      const created = await create(store, later);
      expect(created).toEqual({ ...later, firedCount: 0, status: "active" });
      await create(store, sooner);
      await create(store, newSchedule(mesh.id, a.id));

      const listed = await store.listSchedules(mesh.id, mesh.owner.id);
      expect(listed.map((s) => s.id)).toEqual([sooner.id, later.id]);
      expect(listed[0]).toEqual({ ...sooner, firedCount: 0, status: "active" });
      expect((await store.listSchedules(mesh.id, a.id)).map((s) => s.memberId)).toEqual([a.id]);
      expect(await store.listSchedules(uid("mesh"), mesh.owner.id)).toEqual([]);
    });

    it("is idempotent on client_message_id per member", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const first = await create(store, newSchedule(mesh.id, mesh.owner.id, { clientMessageId: "k" }));
      const again = await store.createSchedule(
        newSchedule(mesh.id, mesh.owner.id, { clientMessageId: "k", deliverAt: T0 + 9 * MINUTE }),
        100,
      );
      expect(again).toEqual({ kind: "duplicate", schedule: first });
      // Another member's key is its own.
      const theirs = await store.createSchedule(newSchedule(mesh.id, a.id, { clientMessageId: "k" }), 100);
      expect(theirs.kind).toBe("created");
      expect(await store.listSchedules(mesh.id, mesh.owner.id)).toHaveLength(1);
    });

    it("refuses an entry over the member's active limit; ended entries do not count", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const held = [];
      for (let i = 0; i < 3; i++) held.push(await create(store, newSchedule(mesh.id, mesh.owner.id), 3));
      expect(await store.createSchedule(newSchedule(mesh.id, mesh.owner.id), 3)).toEqual({ kind: "limit" });
      // The limit is per member.
      expect((await store.createSchedule(newSchedule(mesh.id, a.id), 3)).kind).toBe("created");
      expect(await store.cancelSchedule(mesh.id, mesh.owner.id, held[0]!.id)).toBe(true);
      expect((await store.createSchedule(newSchedule(mesh.id, mesh.owner.id), 3)).kind).toBe("created");
    });

    it("cancels only the member's own active entry", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const entry = await create(store, newSchedule(mesh.id, mesh.owner.id));
      expect(await store.cancelSchedule(mesh.id, a.id, entry.id)).toBe(false);
      expect(await store.cancelSchedule(uid("mesh"), mesh.owner.id, entry.id)).toBe(false);
      expect(await store.cancelSchedule(mesh.id, mesh.owner.id, "no-such-entry")).toBe(false);
      expect(await store.cancelSchedule(mesh.id, mesh.owner.id, entry.id)).toBe(true);
      expect(await store.cancelSchedule(mesh.id, mesh.owner.id, entry.id)).toBe(false);
      expect(await store.listSchedules(mesh.id, mesh.owner.id)).toEqual([]);
      // A cancelled entry never comes due.
      expect(await store.lockDueSchedules(T0 + 10 * MINUTE, 100)).toEqual([]);
    });

    it("a one-shot entry is due from its time on, once", async () => {
      const store = ctx.store();
      const { mesh } = await seedPeer(store);
      const entry = await create(store, newSchedule(mesh.id, mesh.owner.id, { deliverAt: T0 + MINUTE }));
      expect(await fireDue(store, T0 + MINUTE - 1)).toEqual([]);
      expect((await fireDue(store, T0 + MINUTE)).map((r) => r.id)).toEqual([entry.id]);
      expect(await fireDue(store, T0 + 10 * MINUTE)).toEqual([]);
      expect(await store.listSchedules(mesh.id, mesh.owner.id)).toEqual([]);
    });

    it("a recurring entry comes due again at each next time, counting its fires", async () => {
      const store = ctx.store();
      const { mesh } = await seedPeer(store);
      const entry = await create(
        store,
        newSchedule(mesh.id, mesh.owner.id, { cron: "* * * * *", deliverAt: T0 + MINUTE }),
      );
      const nextMinute = (now: number) => () => (Math.floor(now / MINUTE) + 1) * MINUTE;
      for (let i = 1; i <= 3; i++) {
        const now = T0 + i * MINUTE;
        expect((await fireDue(store, now, nextMinute(now))).map((r) => r.id)).toEqual([entry.id]);
        const [listed] = await store.listSchedules(mesh.id, mesh.owner.id);
        expect(listed).toMatchObject({ firedCount: i, status: "active", deliverAt: nextMinute(now)() });
        // Not due again before its next time.
        expect(await store.lockDueSchedules(now, 100)).toEqual([]);
      }
    });

    it("an entry that did not fire ends without counting a fire", async () => {
      const store = ctx.store();
      const { mesh } = await seedPeer(store);
      const entry = await create(store, newSchedule(mesh.id, mesh.owner.id, { cron: "* * * * *" }));
      const recurring = await create(store, newSchedule(mesh.id, mesh.owner.id, { cron: "* * * * *" }));
      await store.transaction(async () => {
        await store.lockDueSchedules(T0 + MINUTE, 100);
        await store.recordScheduleFires([
          { id: entry.id, fired: false, next: null },
          { id: recurring.id, fired: false, next: T0 + 2 * MINUTE },
        ]);
      });
      const listed = await store.listSchedules(mesh.id, mesh.owner.id);
      expect(listed).toEqual([{ ...recurring, deliverAt: T0 + 2 * MINUTE }]);
    });

    it("a fire that rolls back leaves the entry due and its message uncommitted", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const entry = await create(store, newSchedule(mesh.id, mesh.owner.id, { to: peer.pubkey }));
      const fire = dmToMember(sender(mesh.owner, ""), peer);
      await expect(
        store.transaction(async () => {
          await store.lockDueSchedules(T0 + MINUTE, 100);
          await store.acceptMessages([fire]);
          await store.recordScheduleFires([{ id: entry.id, fired: true, next: null }]);
          throw new Error("crash before commit");
        }),
      ).rejects.toThrow("crash before commit");
      expect(await store.queueDepth()).toBe(0);
      expect((await store.lockDueSchedules(T0 + MINUTE, 100)).map((r) => r.id)).toEqual([entry.id]);
    });

    it("retention deletes only entries that ended before the cutoff; their key is free again", async () => {
      const store = ctx.store();
      const { mesh } = await seedPeer(store);
      const ended = await create(store, newSchedule(mesh.id, mesh.owner.id, { clientMessageId: "k" }));
      const active = await create(store, newSchedule(mesh.id, mesh.owner.id));
      await store.cancelSchedule(mesh.id, mesh.owner.id, ended.id);
      expect(await store.deleteEndedSchedules(Date.now() - 60_000, 100)).toBe(0);
      expect(await store.deleteEndedSchedules(Date.now() + 60_000, 100)).toBe(1);
      expect((await store.listSchedules(mesh.id, mesh.owner.id)).map((s) => s.id)).toEqual([active.id]);
      const again = await store.createSchedule(
        newSchedule(mesh.id, mesh.owner.id, { clientMessageId: "k" }),
        100,
      );
      expect(again.kind).toBe("created");
    });

    it("a fired message keeps its subtype", async () => {
      const store = ctx.store();
      const { mesh, peer } = await seedPeer(store);
      const fire = dmToMember(sender(mesh.owner, ""), peer);
      fire.message.subtype = "reminder";
      await store.acceptMessages([fire]);
      const lookup = await store.lookupMessage(mesh.id, mesh.owner.id, fire.message.id);
      expect(lookup).toMatchObject({ status: "ok", message: { id: fire.message.id, subtype: "reminder" } });
    });
  });
}
