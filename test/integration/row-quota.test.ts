/**
 * The row quota (protocol.md §6, "Row quota") against a real broker started with `--row-quota 2`: a
 * member's third state key, task, memory or topic is refused with `limit` and leaves nothing behind, while
 * updates of what it has, and other members' creates, go on.
 */
import { describe, expect, it } from "vitest";
import { connectMember, meshWith, useBroker } from "../helpers/broker.js";

const broker = useBroker({ rowQuota: 2 });
const OK = ["client_ack", "ok_replies"];

describe.concurrent("row quota", () => {
  it("refuses a member's third state key; rewriting its keys and other members' keys go on", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!, { capabilities: OK });
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!, { capabilities: OK });
    for (const key of ["k1", "k2"]) {
      expect(await alice.request({ type: "set_state", key, value: 1 })).toMatchObject({ type: "ok" });
    }
    await bob.waitFor((f) => f.type === "state_change" && f.key === "k2");
    const since = bob.mark();
    const refused = await alice.request({ type: "set_state", key: "k3", value: 1 });
    expect(refused).toMatchObject({ type: "error", code: "limit" });
    expect(refused.message).toMatch(/at most 2 state keys .*--row-quota/);
    expect(await bob.request({ type: "get_state", key: "k3" })).toMatchObject({ value: null });
    // At the quota, rewriting a key it has still works; bob's keys count for bob.
    expect(await alice.request({ type: "set_state", key: "k1", value: 2 })).toMatchObject({ type: "ok" });
    expect(await bob.request({ type: "set_state", key: "k3", value: 3 })).toMatchObject({ type: "ok" });
    await bob.waitFor((f) => f.type === "state_change" && f.key === "k1", { since });
    // The refused write told no one.
    expect(bob.frames.slice(since).filter((f) => f.type === "state_change")).toHaveLength(1);
    expect(await bob.request({ type: "mesh_info" })).toMatchObject({ stateKeys: ["k1", "k2", "k3"] });
  });

  it("refuses a member's third task; claiming and completing go on at the quota", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const { id } = await alice.request({ type: "create_task", title: "one" });
    await alice.request({ type: "create_task", title: "two" });
    const refused = await alice.request({ type: "create_task", title: "three" });
    expect(refused).toMatchObject({ type: "error", code: "limit" });
    expect(refused.message).toMatch(/at most 2 tasks /);
    const list = await bob.request({ type: "list_tasks" });
    expect((list.tasks as Array<{ title: string }>).map((t) => t.title).sort()).toEqual(["one", "two"]);
    expect(await alice.request({ type: "claim_task", taskId: id })).toMatchObject({ type: "task_list" });
    expect(await alice.request({ type: "complete_task", taskId: id })).toMatchObject({ type: "task_list" });
    expect(await bob.request({ type: "create_task", title: "bob's" })).toMatchObject({
      type: "task_created",
    });
    // Done tasks are still rows: the quota stays reached.
    expect(await alice.request({ type: "create_task", title: "four" })).toMatchObject({ code: "limit" });
  });

  it("refuses a member's third memory until it forgets one", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const { id } = await alice.request({ type: "remember", content: "first note" });
    await alice.request({ type: "remember", content: "second note" });
    const refused = await alice.request({ type: "remember", content: "third note" });
    expect(refused).toMatchObject({ type: "error", code: "limit" });
    expect(refused.message).toMatch(/at most 2 memories .*forget/);
    expect(await alice.request({ type: "recall", query: "third" })).toMatchObject({ memories: [] });
    await alice.request({ type: "forget", memoryId: id });
    expect(await alice.request({ type: "remember", content: "third note" })).toMatchObject({
      type: "memory_stored",
    });
  });

  it("refuses a member's third topic; creating one the mesh has answers it", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    for (const name of ["one", "two"]) {
      expect(await alice.request({ type: "topic_create", name })).toMatchObject({ created: true });
    }
    const refused = await alice.request({ type: "topic_create", name: "three" });
    expect(refused).toMatchObject({ type: "error", code: "limit" });
    expect(refused.message).toMatch(/at most 2 topics /);
    expect(await alice.request({ type: "topic_create", name: "one" })).toMatchObject({ created: false });
    const { topics } = await alice.request({ type: "topic_list" });
    expect((topics as Array<{ name: string }>).map((t) => t.name)).toEqual(["general", "one", "two"]);
  });
});
