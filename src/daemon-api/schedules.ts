/**
 * The daemon API's scheduled messages (protocol.md §5.7, §6.5; cli.md `schedule`): the inputs of
 * `/v1/schedules` and the views `claudemesh schedule … --json` prints, mapped from the wire replies.
 * Times are ISO 8601.
 */
import { z } from "zod";
import { Priority, type ScheduledAck, type ScheduledEntry } from "../protocol/index.js";

const Mesh = z.string().min(1).optional();

export const SCHEDULE_SCHEMAS = {
  createSchedule: z.object({
    /** A peer name, member or session key (or a unique prefix), `*`, `@all` or `@<group>`. */
    to: z.string().min(1).max(256),
    message: z.string().min(1),
    /** A one-shot entry's time (ISO 8601); exactly one of `deliver_at` and `cron`. */
    deliver_at: z.string().datetime({ offset: true }).optional(),
    /** 5 fields (minute hour day-of-month month day-of-week), UTC. */
    cron: z.string().min(1).max(256).optional(),
    priority: Priority.optional(),
    /** Idempotency key: a retry returns the original entry. */
    client_message_id: z.string().min(1).max(128).optional(),
    mesh: Mesh,
  }),
  listSchedules: z.object({ mesh: Mesh }),
  cancelSchedule: z.object({ id: z.string().min(1).max(64), mesh: Mesh }),
};

export interface ScheduleCreatedView {
  id: string;
  deliver_at: string;
  cron: string | null;
}

export interface ScheduleView {
  id: string;
  /** The target as the broker resolves it when the entry fires. */
  to: string;
  /** [additive] Who that is: a member's display name, else `to` itself. */
  to_name: string;
  deliver_at: string;
  cron: string | null;
  fired_count: number;
  created_at: string;
}

export function scheduleCreatedView(ack: ScheduledAck): ScheduleCreatedView {
  return { id: ack.scheduledId, deliver_at: new Date(ack.deliverAt).toISOString(), cron: ack.cron ?? null };
}

/** `names`: display names by member key, so a DM entry reads as its recipient's name. */
export function scheduleView(entry: ScheduledEntry, names: ReadonlyMap<string, string>): ScheduleView {
  return {
    id: entry.id,
    to: entry.to,
    to_name: names.get(entry.to) ?? entry.to,
    deliver_at: new Date(entry.deliverAt).toISOString(),
    cron: entry.cron ?? null,
    fired_count: entry.firedCount ?? 0,
    created_at: new Date(entry.createdAt).toISOString(),
  };
}
