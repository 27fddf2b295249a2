/** scheduled messages (protocol.md §5.7, §6.5): a message sent later, or on a cron schedule, as a member. */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { Priority, reqId, replyReqId } from "../fields.js";

/** Active entries one member may hold [ours] (§8). */
export const MAX_ACTIVE_SCHEDULES_PER_MEMBER = 100;
/** How far ahead a cron expression's next time is searched (§8); a rule with none in that span is refused. */
export const SCHEDULE_HORIZON_MS = 366 * 24 * 60 * 60 * 1000;
/** How often each broker node looks for due entries by default (lateness stays well under 5 s, §8). */
export const SCHEDULE_POLL_MS = 1_000;
/** The `subtype` of every fired message's `push` (§4.8). */
export const REMINDER_SUBTYPE = "reminder";
/** The longest plaintext `message` a reference client may schedule: what one `send` can carry. */
export const SCHEDULE_MESSAGE_MAX_CHARS = 65_536;

export const ScheduleFrame = z.object({
  type: z.literal("schedule"),
  /** A `targetSpec` (§4.2), resolved when the entry fires. */
  to: z.string().min(1).max(512),
  /** Plaintext from reference clients; `""` when an envelope is given (§5.7). */
  message: z.string().max(SCHEDULE_MESSAGE_MAX_CHARS),
  /** When a one-shot entry fires (ms); ignored with `cron` (where reference clients may send null). */
  deliverAt: z.number().int().nonnegative().nullable().optional(),
  /** Reference clients send `"reminder"`; every fire's push carries that subtype whatever was sent. */
  subtype: z.string().max(64).optional(),
  /** 5 fields (minute, hour, day of month, month, day of week), UTC. */
  cron: z.string().min(1).max(256).optional(),
  /** Reference clients set it with `cron`; a cron entry always recurs. */
  recurring: z.boolean().optional(),
  nonce: z.string().max(SCHEDULE_MESSAGE_MAX_CHARS).optional(),
  ciphertext: z.string().max(SCHEDULE_MESSAGE_MAX_CHARS).optional(),
  bodyVersion: z.number().int().min(1).max(2).optional(),
  priority: Priority.optional(),
  client_message_id: z.string().min(1).max(128).optional(),
  _reqId: reqId,
});
export type ScheduleFrame = z.infer<typeof ScheduleFrame>;

export const ListScheduledFrame = z.object({ type: z.literal("list_scheduled"), _reqId: reqId });

export const CancelScheduledFrame = z.object({
  type: z.literal("cancel_scheduled"),
  scheduledId: z.string().min(1).max(64),
  _reqId: reqId,
});

export const ScheduledAck = z.object({
  type: z.literal("scheduled_ack"),
  scheduledId: z.string(),
  deliverAt: z.number(),
  cron: z.string().optional(),
  _reqId: replyReqId,
});
export type ScheduledAck = z.infer<typeof ScheduledAck>;

export const ScheduledEntry = z.object({
  id: z.string(),
  to: z.string(),
  /** The plaintext a reference client scheduled; `""` for an envelope. */
  message: z.string(),
  deliverAt: z.number(),
  createdAt: z.number(),
  cron: z.string().optional(),
  firedCount: z.number().optional(),
});
export type ScheduledEntry = z.infer<typeof ScheduledEntry>;

export const ScheduledList = z.object({
  type: z.literal("scheduled_list"),
  messages: z.array(ScheduledEntry),
  _reqId: replyReqId,
});
export type ScheduledList = z.infer<typeof ScheduledList>;

export const CancelScheduledAck = z.object({
  type: z.literal("cancel_scheduled_ack"),
  scheduledId: z.string(),
  ok: z.boolean(),
  _reqId: replyReqId,
});
export type CancelScheduledAck = z.infer<typeof CancelScheduledAck>;

export const scheduleRequests = [ScheduleFrame, ListScheduledFrame, CancelScheduledFrame] as const;
type ScheduleRequestType = z.infer<(typeof scheduleRequests)[number]>["type"];

export const scheduleReplies = {
  schedule: ScheduledAck,
  list_scheduled: ScheduledList,
  cancel_scheduled: CancelScheduledAck,
} as const satisfies ReplyTable<ScheduleRequestType>;
