/**
 * The row quota on two broker processes sharing one PostgreSQL database (protocol.md §4.14, §6): one
 * member's creates sent to both nodes at once never take more than its quota. Skipped without
 * `TEST_DATABASE_URL`.
 */
import { describe, expect, it } from "vitest";
import { connectMember, meshWith } from "../helpers/broker.js";
import { useCluster } from "../helpers/cluster.js";
import { postgresAvailable } from "../helpers/postgres.js";

const QUOTA = 3;

describe.skipIf(!postgresAvailable("row quota cluster"))("row quota on two brokers", () => {
  const { node } = useCluster("cm_row_quota_cluster", { rowQuota: QUOTA }, 2);

  it("creates of one member on both nodes at once never pass its quota", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice"]);
    const onOne = await connectMember(node(0).url, mesh.meshId, m.alice!, { capabilities: ["ok_replies"] });
    const onTwo = await connectMember(node(1).url, mesh.meshId, m.alice!, {
      capabilities: ["ok_replies"],
      sessionId: "second",
    });
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const replies = await Promise.all(
      keys.map((key, i) => (i % 2 ? onOne : onTwo).request({ type: "set_state", key, value: i })),
    );
    expect(replies.filter((r) => r.type === "ok")).toHaveLength(QUOTA);
    expect(replies.filter((r) => r.type === "error" && r.code === "limit")).toHaveLength(keys.length - QUOTA);
    const { stateKeys } = await onOne.request({ type: "mesh_info" });
    expect(stateKeys).toHaveLength(QUOTA);

    const tasks = await Promise.all(
      keys.map((title, i) => (i % 2 ? onOne : onTwo).request({ type: "create_task", title })),
    );
    expect(tasks.filter((r) => r.type === "task_created")).toHaveLength(QUOTA);
    const { tasks: listed } = await onTwo.request({ type: "list_tasks" });
    expect(listed).toHaveLength(QUOTA);
  });
});
