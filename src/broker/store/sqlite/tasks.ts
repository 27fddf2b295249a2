import type { TaskStatus } from "../../../protocol/index.js";
import type { TaskCounts, TaskRow, TaskStore } from "../port/index.js";
import type { SqliteContext } from "./db.js";

interface TaskDbRow {
  id: string;
  mesh_id: string;
  title: string;
  assignee: string | null;
  priority: string;
  tags: string;
  status: TaskStatus;
  created_by_member_id: string;
  created_by_name: string;
  claimed_by_member_id: string | null;
  claimed_by_name: string | null;
  result: string | null;
  created_at: number;
}

interface ListParams {
  mesh: string;
  status: string | null;
  assignee: string | null;
  limit: number;
}

interface ClaimParams {
  meshId: string;
  taskId: string;
  now: number;
  memberId: string;
  name: string;
}

function toTask(r: TaskDbRow): TaskRow {
  return {
    id: r.id,
    meshId: r.mesh_id,
    title: r.title,
    assignee: r.assignee,
    priority: r.priority,
    tags: JSON.parse(r.tags) as string[],
    status: r.status,
    createdByMemberId: r.created_by_member_id,
    createdByName: r.created_by_name,
    claimedByMemberId: r.claimed_by_member_id,
    claimedByName: r.claimed_by_name,
    result: r.result,
    createdAt: r.created_at,
  };
}

/** Tasks (protocol.md §6.3). */
export function taskMethods(ctx: SqliteContext): TaskStore {
  const q = ctx.statements((db) => ({
    insert: db.prepare(
      `INSERT INTO tasks (id, mesh_id, title, assignee, priority, tags, status, created_by_member_id,
         created_by_name, created_at, updated_at)
       VALUES (@id, @meshId, @title, @assignee, @priority, @tags, 'open', @createdByMemberId,
         @createdByName, @createdAt, @createdAt)`,
    ),
    get: db.prepare<[string, string], TaskDbRow>("SELECT * FROM tasks WHERE mesh_id = ? AND id = ?"),
    // The compare-and-set: only a row still `open` changes, so one claimer of any number gets it back.
    claim: db.prepare<ClaimParams, TaskDbRow>(
      `UPDATE tasks SET status = 'claimed', claimed_by_member_id = @memberId, claimed_by_name = @name,
         updated_at = @now
       WHERE mesh_id = @meshId AND id = @taskId AND status = 'open' RETURNING *`,
    ),
    complete: db.prepare<[string | null, number, string, string], TaskDbRow>(
      `UPDATE tasks SET status = 'done', result = ?, updated_at = ?
       WHERE mesh_id = ? AND id = ? AND status <> 'done' RETURNING *`,
    ),
    list: db.prepare<ListParams, TaskDbRow>(
      `SELECT * FROM tasks
       WHERE mesh_id = @mesh AND (@status IS NULL OR status = @status) AND (@assignee IS NULL OR assignee = @assignee)
       ORDER BY created_at DESC, id DESC LIMIT @limit`,
    ),
    counts: db.prepare<[string], { status: TaskStatus; n: number }>(
      "SELECT status, COUNT(*) AS n FROM tasks WHERE mesh_id = ? GROUP BY status",
    ),
  }));

  return {
    async createTask(t) {
      q().insert.run({ ...t, tags: JSON.stringify(t.tags) });
    },
    async getTask(meshId, taskId) {
      const row = q().get.get(meshId, taskId);
      return row ? toTask(row) : null;
    },
    async claimTask(meshId, taskId, claimer, now) {
      const row = q().claim.get({ meshId, taskId, now, memberId: claimer.memberId, name: claimer.name });
      return row ? toTask(row) : null;
    },
    async completeTask(meshId, taskId, result, now) {
      const row = q().complete.get(result, now, meshId, taskId);
      if (row) return toTask(row);
      const existing = q().get.get(meshId, taskId);
      return existing ? toTask(existing) : null;
    },
    async listTasks(meshId, filter, limit) {
      return q()
        .list.all({ mesh: meshId, status: filter.status ?? null, assignee: filter.assignee ?? null, limit })
        .map(toTask);
    },
    async taskCounts(meshId) {
      const counts: TaskCounts = { open: 0, claimed: 0, done: 0 };
      for (const { status, n } of q().counts.all(meshId)) counts[status] = n;
      return counts;
    },
  };
}
