import type { CreateScheduleOutcome, ScheduleRow, ScheduleStore } from "../port/index.js";
import type { PgContext } from "./db.js";

type ScheduleDbRow = Omit<ScheduleRow, "to"> & { targetSpec: string };

const COLUMNS = `id, mesh_id, member_id, target_spec, message, nonce, ciphertext, body_version, priority, cron,
  deliver_at, client_message_id, fired_count, status, created_at`;

function toSchedule({ targetSpec, ...rest }: ScheduleDbRow): ScheduleRow {
  return { ...rest, to: targetSpec };
}

/**
 * Scheduled messages (protocol.md §6.5). A due entry is locked with `FOR UPDATE SKIP LOCKED` in the
 * transaction that records its fire and commits its message, so of all nodes exactly one fires it.
 */
export function scheduleMethods(ctx: PgContext): ScheduleStore {
  return {
    async createSchedule(s, maxActive) {
      return ctx.run(true, async (db): Promise<CreateScheduleOutcome> => {
        // A member's creates take turns, so the count and the insert are one step on every node.
        await db`SELECT pg_advisory_xact_lock(hashtextextended(${`schedules:${s.meshId}:${s.memberId}`}, 0))`;
        if (s.clientMessageId !== null) {
          const [existing] = await db<ScheduleDbRow[]>`
            SELECT ${db.unsafe(COLUMNS)} FROM schedules
            WHERE mesh_id = ${s.meshId} AND member_id = ${s.memberId} AND client_message_id = ${s.clientMessageId}`;
          if (existing) return { kind: "duplicate", schedule: toSchedule(existing) };
        }
        const [count] = await db<Array<{ n: number }>>`
          SELECT COUNT(*)::int AS n FROM schedules
          WHERE mesh_id = ${s.meshId} AND member_id = ${s.memberId} AND status = 'active'`;
        if ((count?.n ?? 0) >= maxActive) return { kind: "limit" };
        const [row] = await db<ScheduleDbRow[]>`
          INSERT INTO schedules (id, mesh_id, member_id, target_spec, message, nonce, ciphertext, body_version,
            priority, cron, deliver_at, client_message_id, fired_count, status, created_at, updated_at)
          VALUES (${s.id}, ${s.meshId}, ${s.memberId}, ${s.to}, ${s.message}, ${s.nonce}, ${s.ciphertext},
            ${s.bodyVersion}, ${s.priority}, ${s.cron}, ${s.deliverAt}, ${s.clientMessageId}, 0, 'active',
            ${s.createdAt}, ${s.createdAt})
          RETURNING ${db.unsafe(COLUMNS)}`;
        return { kind: "created", schedule: toSchedule(row!) };
      });
    },
    async listSchedules(meshId, memberId) {
      const rows = await ctx.run(
        false,
        (db) => db<ScheduleDbRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM schedules
          WHERE mesh_id = ${meshId} AND member_id = ${memberId} AND status = 'active'
          ORDER BY deliver_at, id`,
      );
      return rows.map(toSchedule);
    },
    async cancelSchedule(meshId, memberId, scheduleId) {
      const rows = await ctx.run(
        false,
        (db) => db`
          UPDATE schedules SET status = 'cancelled', updated_at = ${Date.now()}
          WHERE mesh_id = ${meshId} AND member_id = ${memberId} AND id = ${scheduleId} AND status = 'active'
          RETURNING id`,
      );
      return rows.length > 0;
    },
    async lockDueSchedules(now, limit) {
      const rows = await ctx.run(
        false,
        (db) => db<ScheduleDbRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM schedules
          WHERE status = 'active' AND deliver_at <= ${now}
          ORDER BY deliver_at, id LIMIT ${limit}
          FOR UPDATE SKIP LOCKED`,
      );
      return rows.map(toSchedule);
    },
    async recordScheduleFires(fires) {
      if (fires.length === 0) return;
      await ctx.run(
        true,
        (db) => db`
          UPDATE schedules AS s SET fired_count = s.fired_count + CASE WHEN f.fired THEN 1 ELSE 0 END,
            deliver_at = COALESCE(f.next, s.deliver_at),
            status = CASE WHEN f.next IS NOT NULL THEN 'active' WHEN f.fired THEN 'done' ELSE 'cancelled' END,
            updated_at = ${Date.now()}
          FROM unnest(${fires.map((f) => f.id)}::text[], ${db.array(fires.map((f) => f.fired))}::boolean[],
                      ${fires.map((f) => f.next)}::bigint[]) AS f(id, fired, next)
          WHERE s.id = f.id AND s.status = 'active'`,
      );
    },
    async deleteEndedSchedules(before, limit) {
      const rows = await ctx.run(
        false,
        (db) => db`
          DELETE FROM schedules WHERE id IN (
            SELECT id FROM schedules WHERE status <> 'active' AND updated_at < ${before} LIMIT ${limit})
          RETURNING id`,
      );
      return rows.length;
    },
  };
}
