/**
 * Tasks (protocol.md §6.3) on the caller's own connection (a launched session's, else the member's):
 * titles and results sealed under the mesh data key before they leave, opened on the way back (§5.8).
 */
import { dataKey } from "../../../crypto/index.js";
import { taskView } from "../../../daemon-api/tasks-leases.js";
import type { BrokerLink } from "../../links.js";
import type { Implementations, RouteContext } from "../app.js";
import { LocalError, brokerFailure } from "../errors.js";

/** The caller's link to the mesh it names, and the mesh's data key. */
export function sharedLink(
  { daemon, caller }: RouteContext,
  wanted: string | undefined,
): { link: BrokerLink; key: Uint8Array; slug: string; pubkey: string } {
  const mesh = daemon.meshFor(wanted, caller.session);
  mesh.assertUsable();
  const session = caller.session;
  const link = session !== null && session.mesh_id === mesh.meshId ? session.link : mesh.control;
  return { link, key: dataKey(mesh.rootKey), slug: mesh.slug, pubkey: mesh.config.pubkey };
}

/** Runs one broker request, turning its failure into an API error. */
export async function ask<T>(slug: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw brokerFailure(error, slug);
  }
}

export const taskRoutes = {
  createTask: async (ctx, input) => {
    const { link, key, slug } = sharedLink(ctx, input.mesh);
    const task = {
      title: input.title,
      ...(input.assignee === undefined ? {} : { assignee: input.assignee }),
      ...(input.priority === undefined ? {} : { priority: input.priority }),
      ...(input.tags === undefined ? {} : { tags: input.tags }),
    };
    return { id: await ask(slug, () => link.createTask(task, { dataKey: key })) };
  },

  listTasks: async (ctx, input) => {
    const { link, key, slug } = sharedLink(ctx, input.mesh);
    const filter = {
      ...(input.status === undefined ? {} : { status: input.status }),
      ...(input.assignee === undefined ? {} : { assignee: input.assignee }),
    };
    const list = await ask(slug, () => link.listTasks(filter, { dataKey: key }));
    return { tasks: list.tasks.map(taskView) };
  },

  claimTask: async (ctx, input) => {
    const { link, key, slug } = sharedLink(ctx, input.mesh);
    const list = await ask(slug, () => link.claimTask(input.id, { dataKey: key }));
    const task = list.task ?? list.tasks.find((t) => t.id === input.id);
    if (!task) throw new LocalError("invalid_reply", "the broker's answer did not include the claimed task");
    return { id: task.id, status: task.status, claimed_by: task.claimedBy };
  },

  completeTask: async (ctx, input) => {
    const { link, key, slug } = sharedLink(ctx, input.mesh);
    const list = await ask(slug, () => link.completeTask(input.id, input.result, { dataKey: key }));
    const task = list.task ?? list.tasks.find((t) => t.id === input.id);
    return { id: input.id, status: task?.status ?? "done" };
  },
} satisfies Partial<Implementations>;
