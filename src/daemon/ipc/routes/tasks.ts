/**
 * Tasks (protocol.md §6.3) on the caller's own connection (a launched session's, else the member's):
 * titles and results sealed under the mesh data key before they leave, opened on the way back (§5.8).
 */
import { dataKey } from "../../../crypto/index.js";
import { taskView } from "../../../daemon-api/tasks-leases.js";
import type { BrokerLink } from "../../links.js";
import type { Implementations, RouteContext } from "../app.js";
import type { MeshRuntime } from "../../meshes/mesh-runtime.js";
import { resolveSendTarget } from "../../outbox/prepare.js";
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

/**
 * The display name a task is assigned to: `wanted` resolved like a send's target (a member or a live
 * session, by name or key prefix), so a typo is refused with the candidates instead of assigning the
 * task to nobody.
 */
async function assigneeName(mesh: MeshRuntime, wanted: string): Promise<string> {
  const target = await resolveSendTarget(mesh, wanted);
  // A key no one here holds resolves for a send (the broker may know it), not as a name to assign to.
  if (target.memberPubkey === null) {
    throw new LocalError(
      "invalid_target",
      `a task is assigned to a member or a session of this mesh, not to ${target.display}`,
      "give a display name (`claudemesh members` lists them)",
    );
  }
  return target.display;
}

export const taskRoutes = {
  createTask: async (ctx, input) => {
    const { link, key, slug } = sharedLink(ctx, input.mesh);
    const assignee =
      input.assignee === undefined
        ? undefined
        : await assigneeName(ctx.daemon.meshFor(input.mesh, ctx.caller.session), input.assignee);
    const task = {
      title: input.title,
      ...(assignee === undefined ? {} : { assignee }),
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
    // A done task completed again stays as it was (§6.3): a result given now that is not the one it
    // holds was not kept, and the caller must hear it (the same result again is a harmless retry).
    if (task && input.result !== undefined && task.result !== input.result) {
      throw new LocalError(
        "task_already_done",
        `task ${input.id} was already done; its result stays ${task.result === null ? "empty" : JSON.stringify(task.result)}`,
        "a done task keeps the result it was completed with",
      );
    }
    return { id: input.id, status: task?.status ?? "done" };
  },
} satisfies Partial<Implementations>;
