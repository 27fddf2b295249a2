import type { TaskStatus } from "../../../protocol/index.js";
import type { TaskCounts, TaskRow, TaskStore } from "../port/index.js";
import type { PgContext } from "./db.js";
import { jsonb } from "./members.js";

const COLUMNS = `id, mesh_id, title, assignee, priority, tags, status, created_by_member_id, created_by_name,
  claimed_by_member_id, claimed_by_name, result, created_at`;

/** Tasks (protocol.md §6.3). */
export function taskMethods(ctx: PgContext): TaskStore {
  return {
    async createTask(t) {
      await ctx.run(
        false,
        (db) => db`
          INSERT INTO tasks (id, mesh_id, title, assignee, priority, tags, status, created_by_member_id,
            created_by_name, created_at, updated_at)
          VALUES (${t.id}, ${t.meshId}, ${t.title}, ${t.assignee}, ${t.priority}, ${jsonb(db, t.tags)}, 'open',
            ${t.createdByMemberId}, ${t.createdByName}, ${t.createdAt}, ${t.createdAt})`,
      );
    },
    async getTask(meshId, taskId) {
      const [row] = await ctx.run(
        false,
        (db) => db<TaskRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM tasks WHERE mesh_id = ${meshId} AND id = ${taskId}`,
      );
      return row ?? null;
    },
    async claimTask(meshId, taskId, claimer, now) {
      // The compare-and-set: one conditional UPDATE; under READ COMMITTED a concurrent claimer waits for
      // the winner's row lock, re-checks `status = 'open'` on the new row version, and matches nothing.
      const [row] = await ctx.run(
        false,
        (db) => db<TaskRow[]>`
          UPDATE tasks SET status = 'claimed', claimed_by_member_id = ${claimer.memberId},
            claimed_by_name = ${claimer.name}, updated_at = ${now}
          WHERE mesh_id = ${meshId} AND id = ${taskId} AND status = 'open'
          RETURNING ${db.unsafe(COLUMNS)}`,
      );
      return row ?? null;
    },
    async completeTask(meshId, taskId, result, now) {
      return ctx.run(true, async (db) => {
        const [done] = await db<TaskRow[]>`
          UPDATE tasks SET status = 'done', result = ${result}, updated_at = ${now}
          WHERE mesh_id = ${meshId} AND id = ${taskId} AND status <> 'done'
          RETURNING ${db.unsafe(COLUMNS)}`;
        if (done) return done;
        const [existing] = await db<TaskRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM tasks WHERE mesh_id = ${meshId} AND id = ${taskId}`;
        return existing ?? null;
      });
    },
    async listTasks(meshId, filter, limit) {
      const status = filter.status ?? null;
      const assignee = filter.assignee ?? null;
      return ctx.run(
        false,
        (db) => db<TaskRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM tasks
          WHERE mesh_id = ${meshId} AND (${status}::text IS NULL OR status = ${status}::text)
            AND (${assignee}::text IS NULL OR assignee = ${assignee}::text)
          ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
      );
    },
    async taskCounts(meshId) {
      const rows = await ctx.run(
        false,
        (db) => db<Array<{ status: TaskStatus; n: number }>>`
          SELECT status, COUNT(*)::bigint AS n FROM tasks WHERE mesh_id = ${meshId} GROUP BY status`,
      );
      const counts: TaskCounts = { open: 0, claimed: 0, done: 0 };
      for (const { status, n } of rows) counts[status] = n;
      return counts;
    },
  };
}
