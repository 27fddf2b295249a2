/**
 * tasks (protocol.md §6.3) against a real broker with raw peers: create, list, the atomic claim (20 racing
 * claimers, one winner), complete and who may, `task_change` to every presence, `mesh_info` counts, and
 * coded errors for bad input.
 */
import { describe, expect, it } from "vitest";
import { connectMember, meshWith, useBroker, type TestMember, type TestMesh } from "../helpers/broker.js";
import { raceTaskClaims } from "../helpers/workspace-races.js";

const broker = useBroker();

function setup(...names: string[]): Promise<{ mesh: TestMesh; m: Record<string, TestMember> }> {
  return meshWith(broker(), names, (n) => (n.startsWith("admin") ? "admin" : "member"));
}

describe.concurrent("tasks", () => {
  it("create, list, claim and complete, with task_change to every presence and real mesh_info counts", async () => {
    const { mesh, m } = await setup("alice", "bob");
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const since = bob.mark();
    const created = await alice.request({
      type: "create_task",
      title: "write the docs",
      assignee: "bob",
      priority: "high",
      tags: ["docs"],
    });
    expect(created).toMatchObject({ type: "task_created", id: expect.stringMatching(/^[A-Za-z0-9]{32}$/) });
    const id = created.id as string;
    const change = await bob.waitForEvent("task_change", { since });
    expect(change.eventData).toEqual({ taskId: id, action: "created", status: "open", by: "alice" });

    const listed = await bob.request({ type: "list_tasks" });
    expect(listed.tasks).toEqual([
      {
        id,
        title: "write the docs",
        assignee: "bob",
        claimedBy: null,
        status: "open",
        priority: "high",
        createdBy: "alice",
        tags: ["docs"],
        createdAt: expect.any(String),
        result: null,
      },
    ]);
    const claimed = await bob.request({ type: "claim_task", taskId: id });
    expect(claimed).toMatchObject({ type: "task_list", task: { id, status: "claimed", claimedBy: "bob" } });
    expect(await alice.request({ type: "mesh_info" })).toMatchObject({
      tasks: { open: 0, claimed: 1, done: 0 },
    });
    expect(await alice.request({ type: "list_tasks", status: "open" })).toMatchObject({ tasks: [] });
    expect(await alice.request({ type: "list_tasks", assignee: "bob" })).toMatchObject({ tasks: [{ id }] });

    const done = await bob.request({ type: "complete_task", taskId: id, result: "done in #12" });
    expect(done).toMatchObject({ type: "task_list", task: { id, status: "done", result: "done in #12" } });
    const doneEvent = await alice.waitFor(
      (f) => f.event === "task_change" && (f.eventData as { action?: string }).action === "done",
    );
    expect(doneEvent.eventData).toMatchObject({ taskId: id, status: "done", by: "bob" });
    expect(await alice.request({ type: "mesh_info" })).toMatchObject({
      tasks: { open: 0, claimed: 0, done: 1 },
    });
  });

  it("of 20 concurrent claimers exactly one wins; the others get task_not_claimable", async () => {
    await raceTaskClaims(broker(), [broker().url]);
  });

  it("a claimed task is completed only by its claimer's member, its creator's member or an admin", async () => {
    const { mesh, m } = await setup("alice", "bob", "carol", "admin-ann");
    const [alice, bob, carol, admin] = await Promise.all(
      ["alice", "bob", "carol", "admin-ann"].map((n) => connectMember(broker().url, mesh.meshId, m[n]!)),
    );
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { id } = await alice!.request({ type: "create_task", title: `t${i}` });
      await bob!.request({ type: "claim_task", taskId: id });
      ids.push(id as string);
    }
    expect(await carol!.request({ type: "complete_task", taskId: ids[0] })).toMatchObject({
      type: "error",
      code: "forbidden",
    });
    expect(await alice!.request({ type: "complete_task", taskId: ids[0] })).toMatchObject({
      type: "task_list",
    });
    expect(await admin!.request({ type: "complete_task", taskId: ids[1] })).toMatchObject({
      type: "task_list",
    });
    // An open task: anyone.
    const { id: open } = await alice!.request({ type: "create_task", title: "open" });
    expect(await carol!.request({ type: "complete_task", taskId: open })).toMatchObject({
      type: "task_list",
    });
  });

  it("unknown ids and bad frames get their own codes; another mesh's task is unknown", async () => {
    const { mesh, m } = await setup("alice");
    const other = await setup("zed");
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const zed = await connectMember(broker().url, other.mesh.meshId, other.m.zed!);
    const { id } = await zed.request({ type: "create_task", title: "theirs" });
    expect(await alice.request({ type: "claim_task", taskId: id })).toMatchObject({
      code: "task_not_claimable",
    });
    expect(await alice.request({ type: "complete_task", taskId: "nope" })).toMatchObject({
      code: "task_not_found",
    });
    expect(await alice.request({ type: "create_task" })).toMatchObject({ code: "invalid_message" });
    expect(await alice.request({ type: "list_tasks", status: "closed" })).toMatchObject({
      code: "invalid_message",
    });
    expect(await alice.request({ type: "claim_task", id: "x" })).toMatchObject({ code: "invalid_message" });
    expect(await alice.request({ type: "list_tasks" })).toMatchObject({ tasks: [] });
  });
});
