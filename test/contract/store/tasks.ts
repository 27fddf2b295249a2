import { describe, expect, it } from "vitest";
import type { NewTask } from "../../../src/broker/store/port/index.js";
import type { ContractContext } from "./context.js";
import { T0, seedMesh, seedTwoMembers, uid } from "./fixtures.js";

export function newTask(meshId: string, memberId: string, overrides: Partial<NewTask> = {}): NewTask {
  return {
    id: uid("task"),
    meshId,
    title: "cm:enc1:bm9uY2U=:Y2lwaGVy",
    assignee: null,
    priority: "normal",
    tags: [],
    createdByMemberId: memberId,
    createdByName: "owner",
    createdAt: T0,
    ...overrides,
  };
}

export function tasksContract(ctx: ContractContext): void {
  describe("tasks", () => {
    it("creates open tasks and lists them newest first, filtered by status and assignee", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const first = newTask(mesh.id, mesh.owner.id, { tags: ["x", "y"], createdAt: T0 });
      const second = newTask(mesh.id, mesh.owner.id, {
        assignee: "peer-0",
        priority: "high",
        createdAt: T0 + 1,
      });
      await store.createTask(first);
      await store.createTask(second);
      const other = await seedMesh(store, 0);
      await store.createTask(newTask(other.id, other.owner.id));

      const all = await store.listTasks(mesh.id, {}, 100);
      expect(all.map((t) => t.id)).toEqual([second.id, first.id]);
      expect(all[1]).toEqual({
        ...first,
        status: "open",
        claimedByMemberId: null,
        claimedByName: null,
        result: null,
      });
      expect((await store.listTasks(mesh.id, { assignee: "peer-0" }, 100)).map((t) => t.id)).toEqual([
        second.id,
      ]);
      expect(await store.listTasks(mesh.id, {}, 1)).toHaveLength(1);
      await store.claimTask(mesh.id, first.id, { memberId: a.id, name: "peer-0" }, T0 + 5);
      expect((await store.listTasks(mesh.id, { status: "claimed" }, 100)).map((t) => t.id)).toEqual([
        first.id,
      ]);
      expect(await store.taskCounts(mesh.id)).toEqual({ open: 1, claimed: 1, done: 0 });
      expect(await store.taskCounts(other.id)).toEqual({ open: 1, claimed: 0, done: 0 });
    });

    it("claims only an open task of the mesh, once", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const task = newTask(mesh.id, mesh.owner.id);
      await store.createTask(task);
      const other = await seedMesh(store, 0);

      expect(await store.claimTask(other.id, task.id, { memberId: a.id, name: "x" }, T0)).toBeNull();
      expect(await store.claimTask(mesh.id, "missing", { memberId: a.id, name: "x" }, T0)).toBeNull();
      const won = await store.claimTask(mesh.id, task.id, { memberId: a.id, name: "peer-0" }, T0 + 1);
      expect(won).toMatchObject({
        id: task.id,
        status: "claimed",
        claimedByMemberId: a.id,
        claimedByName: "peer-0",
      });
      expect(await store.claimTask(mesh.id, task.id, { memberId: b.id, name: "peer-1" }, T0 + 2)).toBeNull();
    });

    it("of many concurrent claims exactly one wins", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const task = newTask(mesh.id, mesh.owner.id);
      await store.createTask(task);
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.claimTask(mesh.id, task.id, { memberId: i % 2 ? a.id : b.id, name: `c${i}` }, T0 + i),
        ),
      );
      expect(claims.filter((c) => c !== null)).toHaveLength(1);
    });

    it("completes a task with its result; completing again leaves it as it was", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const task = newTask(mesh.id, mesh.owner.id);
      await store.createTask(task);
      await store.claimTask(mesh.id, task.id, { memberId: a.id, name: "peer-0" }, T0 + 1);
      const done = await store.completeTask(mesh.id, task.id, "cm:enc1:cmVz:dWx0", T0 + 2);
      expect(done).toMatchObject({ status: "done", result: "cm:enc1:cmVz:dWx0", claimedByName: "peer-0" });
      const again = await store.completeTask(mesh.id, task.id, "other", T0 + 3);
      expect(again).toMatchObject({ status: "done", result: "cm:enc1:cmVz:dWx0" });
      expect(await store.completeTask(mesh.id, "missing", null, T0)).toBeNull();
      expect(await store.getTask(mesh.id, task.id)).toMatchObject({ status: "done" });
      expect(await store.getTask(mesh.id, "missing")).toBeNull();
      expect(await store.claimTask(mesh.id, task.id, { memberId: a.id, name: "peer-0" }, T0 + 4)).toBeNull();
    });
  });
}
