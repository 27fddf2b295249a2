/**
 * The row quota (protocol.md §6, "Row quota"): `withinRowQuota` counts the rows a member owns in a family,
 * in the transaction of the create, and refuses one past the quota without running it.
 */
import { describe, expect, it } from "vitest";
import type { OwnedRowCreate, OwnedRowFamily, Store } from "../../../src/broker/store/port/index.js";
import type { ContractContext } from "./context.js";
import { T0, seedMesh, seedTwoMembers, uid } from "./fixtures.js";
import { memory, skill } from "./memory-skills.js";
import { newTask } from "./tasks.js";
import { newTopic } from "./topics.js";

const MAX = 2;

function quota(meshId: string, memberId: string, family: OwnedRowFamily, key: string | null = null) {
  return { family, meshId, memberId, key, max: MAX } satisfies OwnedRowCreate;
}

/** Sets `key` as `memberId` through the quota; whether it was stored. */
async function setKey(store: Store, meshId: string, memberId: string, key: string): Promise<boolean> {
  const row = { key, valueJson: "1", updatedBy: "peer", updatedAt: T0 };
  const set = () => store.setState(meshId, row, memberId);
  return (await store.withinRowQuota(quota(meshId, memberId, "state", key), set)) !== null;
}

/** Remembers as `memberId` through the quota, reading first as a create may; the new id, if stored. */
async function remember(store: Store, meshId: string, memberId: string): Promise<string | null> {
  const m = memory(meshId, memberId);
  const done = await store.withinRowQuota(quota(meshId, memberId, "memories"), async () => {
    await store.countMemories(meshId);
    await store.rememberMemory(m);
  });
  return done === null ? null : m.id;
}

export function ownedRowsContract(ctx: ContractContext): void {
  describe("row quota", () => {
    it("refuses a member's create past the quota without running it; others keep their own count", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      expect(await setKey(store, mesh.id, a.id, "k1")).toBe(true);
      expect(await setKey(store, mesh.id, a.id, "k2")).toBe(true);
      let ran = false;
      const refused = await store.withinRowQuota(quota(mesh.id, a.id, "state", "k3"), async () => {
        ran = true;
      });
      expect(refused).toBeNull();
      expect(ran).toBe(false);
      expect(await store.stateKeys(mesh.id)).toEqual(["k1", "k2"]);
      expect(await setKey(store, mesh.id, b.id, "k3")).toBe(true);
      // Another mesh of the same member id counts apart.
      const other = await seedMesh(store, 0);
      expect(await setKey(store, other.id, a.id, "k4")).toBe(true);
    });

    it("returns the create's result, and lets a replace through at the quota", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      expect(await store.withinRowQuota(quota(mesh.id, a.id, "tasks"), async () => 42)).toEqual({
        value: 42,
      });
      for (const key of ["k1", "k2"]) expect(await setKey(store, mesh.id, a.id, key)).toBe(true);
      expect(await setKey(store, mesh.id, b.id, "theirs")).toBe(true);
      // At the quota: rewriting its own key, or taking over another member's, adds no row.
      expect(await setKey(store, mesh.id, a.id, "k1")).toBe(true);
      expect(await setKey(store, mesh.id, a.id, "theirs")).toBe(true);
      expect(await setKey(store, mesh.id, a.id, "k3")).toBe(false);
      // The key it took over is now its own: b has room again.
      expect(await setKey(store, mesh.id, b.id, "k3")).toBe(true);
      expect(await store.stateKeys(mesh.id)).toEqual(["k1", "k2", "k3", "theirs"]);
    });

    it("counts live memories only: forgetting one frees its slot", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const first = await remember(store, mesh.id, a.id);
      expect(first).not.toBeNull();
      expect(await remember(store, mesh.id, a.id)).not.toBeNull();
      expect(await remember(store, mesh.id, a.id)).toBeNull();
      expect(await store.countMemories(mesh.id)).toBe(2);
      expect(await store.forgetMemory(mesh.id, first ?? "", T0 + 1)).toBe("forgotten");
      expect(await remember(store, mesh.id, a.id)).not.toBeNull();
    });

    it("counts tasks by creator, done ones included", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const create = (memberId: string) => {
        const task = newTask(mesh.id, memberId);
        return store.withinRowQuota(quota(mesh.id, memberId, "tasks"), () => store.createTask(task));
      };
      expect(await create(a.id)).not.toBeNull();
      expect(await create(a.id)).not.toBeNull();
      const [task] = await store.listTasks(mesh.id, {}, 10);
      await store.completeTask(mesh.id, task?.id ?? "", null, T0 + 1);
      expect(await create(a.id)).toBeNull();
      expect(await create(b.id)).not.toBeNull();
      expect(await store.taskCounts(mesh.id)).toEqual({ open: 2, claimed: 0, done: 1 });
    });

    it("counts topics by creator; creating an existing name adds none", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const create = (name: string) => {
        const topic = newTopic(mesh.id, { name, createdByMemberId: a.id });
        return store.withinRowQuota(quota(mesh.id, a.id, "topics", name), () =>
          store.createTopic(topic, null, null),
        );
      };
      expect((await create("one"))?.value.created).toBe(true);
      expect((await create("two"))?.value.created).toBe(true);
      expect(await create("three")).toBeNull();
      expect((await create("one"))?.value.created).toBe(false);
      expect(await store.findTopic(mesh.id, "three")).toBeNull();
    });

    it("counts skills by their current sharer; a re-share passes at the quota", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const share = (name: string) =>
        store.withinRowQuota(quota(mesh.id, a.id, "skills", name), () =>
          store.upsertSkill(skill(mesh.id, a.id, { name }), 500),
        );
      expect(await share("one")).toEqual({ value: true });
      expect(await share("two")).toEqual({ value: true });
      expect(await share("three")).toBeNull();
      expect(await share("one")).toEqual({ value: true });
      expect(await store.removeSkill(mesh.id, "two")).toBe(true);
      expect(await share("three")).toEqual({ value: true });
      expect((await store.listSkills(mesh.id)).map((s) => s.name)).toEqual(["one", "three"]);
    });

    it("lets concurrent creates of one member take exactly the free slots", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const ids = await Promise.all(Array.from({ length: 8 }, () => remember(store, mesh.id, a.id)));
      expect(ids.filter((id) => id !== null)).toHaveLength(MAX);
      expect(await store.countMemories(mesh.id)).toBe(MAX);
    });
  });
}

/** Two nodes creating for one member at once: together they never pass the quota. */
export async function ownedRowsRacing(stores: [Store, Store]): Promise<void> {
  const { mesh, a } = await seedTwoMembers(stores[0]);
  const keys = Array.from({ length: 10 }, () => uid("key"));
  const stored = await Promise.all(
    keys.map((key, i) => setKey(stores[i % 2] ?? stores[0], mesh.id, a.id, key)),
  );
  expect(stored.filter(Boolean)).toHaveLength(MAX);
  expect(await stores[1].stateKeys(mesh.id)).toHaveLength(MAX);
}
