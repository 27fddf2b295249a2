/** tasks (protocol.md §6.3): create, an atomic claim, complete, list; `task_change` to the whole mesh. */
import { randomMessageId } from "../../crypto/index.js";
import { ErrorCode, TASK_LIST_MAX, type TaskEntry, type TaskStatus } from "../../protocol/index.js";
import { auditEntry, withAudit, type AuditActor } from "../audit.js";
import type { BrokerContext } from "../context.js";
import { publishMeshPush } from "../mesh-push.js";
import type { Presence } from "../presence/presence.js";
import { withinRowQuota } from "../row-quota.js";
import type { TaskRow } from "../store/port/index.js";
import type { HandlerTable } from "./types.js";

type TaskHandlers = Pick<HandlerTable, "create_task" | "claim_task" | "complete_task" | "list_tasks">;

function toEntry(t: TaskRow): TaskEntry {
  return {
    id: t.id,
    title: t.title,
    assignee: t.assignee,
    claimedBy: t.claimedByName,
    status: t.status,
    priority: t.priority,
    createdBy: t.createdByName,
    tags: t.tags,
    createdAt: new Date(t.createdAt).toISOString(),
    result: t.result,
  };
}

/** [ours, additive] `task_change` to every presence of the mesh, on every node. */
function announce(
  ctx: BrokerContext,
  p: Presence,
  taskId: string,
  action: "created" | "claimed" | "done",
  status: TaskStatus,
): void {
  publishMeshPush(ctx, {
    meshId: p.meshId,
    event: "task_change",
    data: { taskId, action, status, by: p.displayName },
  });
}

function actor(p: Presence): AuditActor {
  return { actorPubkey: p.memberPubkey, actorName: p.displayName };
}

async function listAfter(ctx: BrokerContext, p: Presence, task: TaskRow) {
  const tasks = await ctx.store.listTasks(p.meshId, {}, TASK_LIST_MAX);
  return { type: "task_list" as const, tasks: tasks.map(toEntry), task: toEntry(task) };
}

export const taskHandlers: TaskHandlers = {
  async create_task(args, frame) {
    const { ctx, conn, presence } = args;
    const id = randomMessageId();
    const create = () =>
      ctx.store.createTask({
        id,
        meshId: presence.meshId,
        title: frame.title,
        assignee: frame.assignee ?? null,
        priority: frame.priority ?? "normal",
        tags: frame.tags ?? [],
        createdByMemberId: presence.memberId,
        createdByName: presence.displayName,
        createdAt: Date.now(),
      });
    const audited = () =>
      withAudit(ctx, create, () => [auditEntry(presence.meshId, actor(presence), "task.created", id)]);
    if (!(await withinRowQuota(args, frame, "tasks", null, audited))) return;
    conn.reply(frame, { type: "task_created", id });
    announce(ctx, presence, id, "created", "open");
  },

  async claim_task({ ctx, conn, presence }, frame) {
    const claimer = { memberId: presence.memberId, name: presence.displayName };
    const task = await withAudit(
      ctx,
      () => ctx.store.claimTask(presence.meshId, frame.taskId, claimer, Date.now()),
      (claimed) =>
        claimed ? [auditEntry(presence.meshId, actor(presence), "task.claimed", claimed.id)] : [],
    );
    if (!task) {
      // Read after the refused claim: says why, as of now (who holds it, or that it is done or unknown).
      const now = await ctx.store.getTask(presence.meshId, frame.taskId);
      const why =
        now === null
          ? "there is no such task in this mesh"
          : now.status === "done"
            ? "it is done"
            : now.status === "claimed"
              ? `it is claimed by ${now.claimedByName ?? "another member"}`
              : "try again";
      conn.error(frame, ErrorCode.taskNotClaimable, `task ${frame.taskId} cannot be claimed: ${why}`);
      return;
    }
    conn.reply(frame, await listAfter(ctx, presence, task));
    announce(ctx, presence, task.id, "claimed", "claimed");
  },

  async complete_task({ ctx, conn, presence }, frame) {
    const task = await ctx.store.getTask(presence.meshId, frame.taskId);
    if (!task) {
      conn.error(frame, ErrorCode.taskNotFound, `no task ${frame.taskId} in this mesh`);
      return;
    }
    const admin = presence.memberRole === "owner" || presence.memberRole === "admin";
    const mayComplete =
      task.claimedByMemberId === null ||
      task.claimedByMemberId === presence.memberId ||
      task.createdByMemberId === presence.memberId ||
      admin;
    if (!mayComplete) {
      conn.error(
        frame,
        ErrorCode.forbidden,
        `task ${task.id} is claimed by ${task.claimedByName ?? "another member"}: only its claimer, its creator or an admin may complete it`,
      );
      return;
    }
    const wasDone = task.status === "done";
    const done = await withAudit(
      ctx,
      () => ctx.store.completeTask(presence.meshId, task.id, frame.result ?? null, Date.now()),
      (row) =>
        row && !wasDone ? [auditEntry(presence.meshId, actor(presence), "task.completed", row.id)] : [],
    );
    if (!done) {
      conn.error(frame, ErrorCode.taskNotFound, `no task ${frame.taskId} in this mesh`);
      return;
    }
    conn.reply(frame, await listAfter(ctx, presence, done));
    if (!wasDone) announce(ctx, presence, done.id, "done", "done");
  },

  async list_tasks({ ctx, conn, presence }, frame) {
    const filter = {
      ...(frame.status ? { status: frame.status } : {}),
      ...(frame.assignee ? { assignee: frame.assignee } : {}),
    };
    const tasks = await ctx.store.listTasks(presence.meshId, filter, TASK_LIST_MAX);
    conn.reply(frame, { type: "task_list", tasks: tasks.map(toEntry) });
  },
};
