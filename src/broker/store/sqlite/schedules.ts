import type { Priority } from "../../../protocol/index.js";
import type {
  CreateScheduleOutcome,
  NewSchedule,
  ScheduleRow,
  ScheduleStatus,
  ScheduleStore,
} from "../port/index.js";
import type { SqliteContext } from "./db.js";

interface ScheduleDbRow {
  id: string;
  mesh_id: string;
  member_id: string;
  target_spec: string;
  message: string;
  nonce: string | null;
  ciphertext: string | null;
  body_version: number | null;
  priority: Priority;
  cron: string | null;
  deliver_at: number;
  client_message_id: string | null;
  fired_count: number;
  status: ScheduleStatus;
  created_at: number;
}

function toSchedule(r: ScheduleDbRow): ScheduleRow {
  return {
    id: r.id,
    meshId: r.mesh_id,
    memberId: r.member_id,
    to: r.target_spec,
    message: r.message,
    nonce: r.nonce,
    ciphertext: r.ciphertext,
    bodyVersion: r.body_version,
    priority: r.priority,
    cron: r.cron,
    deliverAt: r.deliver_at,
    clientMessageId: r.client_message_id,
    firedCount: r.fired_count,
    status: r.status,
    createdAt: r.created_at,
  };
}

const COLUMNS = `id, mesh_id, member_id, target_spec, message, nonce, ciphertext, body_version, priority, cron,
  deliver_at, client_message_id, fired_count, status, created_at`;

/** Scheduled messages (protocol.md §6.5). The single writer makes every due entry's fire exclusive. */
export function scheduleMethods(ctx: SqliteContext): ScheduleStore {
  const q = ctx.statements((db) => {
    const insert = db.prepare<NewSchedule>(
      `INSERT INTO schedules (id, mesh_id, member_id, target_spec, message, nonce, ciphertext, body_version,
         priority, cron, deliver_at, client_message_id, fired_count, status, created_at, updated_at)
       VALUES (@id, @meshId, @memberId, @to, @message, @nonce, @ciphertext, @bodyVersion, @priority, @cron,
         @deliverAt, @clientMessageId, 0, 'active', @createdAt, @createdAt)`,
    );
    const byClientId = db.prepare<[string, string, string], ScheduleDbRow>(
      `SELECT ${COLUMNS} FROM schedules WHERE mesh_id = ? AND member_id = ? AND client_message_id = ?`,
    );
    const activeCount = db.prepare<[string, string], { n: number }>(
      `SELECT COUNT(*) AS n FROM schedules WHERE mesh_id = ? AND member_id = ? AND status = 'active'`,
    );
    const get = db.prepare<[string], ScheduleDbRow>(`SELECT ${COLUMNS} FROM schedules WHERE id = ?`);
    const fire = db.prepare<{ id: string; fired: number; next: number | null; now: number }>(
      `UPDATE schedules SET fired_count = fired_count + @fired,
         deliver_at = COALESCE(@next, deliver_at),
         status = CASE WHEN @next IS NOT NULL THEN 'active' WHEN @fired = 1 THEN 'done' ELSE 'cancelled' END,
         updated_at = @now
       WHERE id = @id AND status = 'active'`,
    );
    return {
      create: ctx.atomic((s: NewSchedule, maxActive: number): CreateScheduleOutcome => {
        if (s.clientMessageId !== null) {
          const existing = byClientId.get(s.meshId, s.memberId, s.clientMessageId);
          if (existing) return { kind: "duplicate", schedule: toSchedule(existing) };
        }
        if ((activeCount.get(s.meshId, s.memberId)?.n ?? 0) >= maxActive) return { kind: "limit" };
        insert.run(s);
        return { kind: "created", schedule: toSchedule(get.get(s.id)!) };
      }),
      list: db.prepare<[string, string], ScheduleDbRow>(
        `SELECT ${COLUMNS} FROM schedules WHERE mesh_id = ? AND member_id = ? AND status = 'active'
         ORDER BY deliver_at, id`,
      ),
      cancel: db.prepare<[number, string, string, string]>(
        `UPDATE schedules SET status = 'cancelled', updated_at = ?
         WHERE mesh_id = ? AND member_id = ? AND id = ? AND status = 'active'`,
      ),
      deleteEnded: db.prepare<[number, number]>(
        `DELETE FROM schedules WHERE id IN (
           SELECT id FROM schedules WHERE status <> 'active' AND updated_at < ? LIMIT ?)`,
      ),
      due: db.prepare<[number, number], ScheduleDbRow>(
        `SELECT ${COLUMNS} FROM schedules WHERE status = 'active' AND deliver_at <= ?
         ORDER BY deliver_at, id LIMIT ?`,
      ),
      fires: ctx.atomic((fires: readonly { id: string; fired: boolean; next: number | null }[]) => {
        const now = Date.now();
        for (const f of fires) fire.run({ id: f.id, fired: f.fired ? 1 : 0, next: f.next, now });
      }),
    };
  });

  return {
    async createSchedule(schedule, maxActive) {
      return q().create(schedule, maxActive);
    },
    async listSchedules(meshId, memberId) {
      return q().list.all(meshId, memberId).map(toSchedule);
    },
    async cancelSchedule(meshId, memberId, scheduleId) {
      return q().cancel.run(Date.now(), meshId, memberId, scheduleId).changes > 0;
    },
    async lockDueSchedules(now, limit) {
      return q().due.all(now, limit).map(toSchedule);
    },
    async recordScheduleFires(fires) {
      if (fires.length > 0) q().fires(fires);
    },
    async deleteEndedSchedules(before, limit) {
      return q().deleteEnded.run(before, limit).changes;
    },
  };
}
