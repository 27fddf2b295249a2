/**
 * scheduled messages (protocol.md §6.5): create, list and cancel a member's entries. The entries fire
 * from {@link Scheduler} on every node.
 */
import { randomUUID } from "node:crypto";
import {
  ErrorCode,
  MAX_ACTIVE_SCHEDULES_PER_MEMBER,
  MAX_SEND_PAYLOAD,
  parseTarget,
  type FrameOf,
  type ScheduledAck,
  type ScheduledEntry,
} from "../../protocol/index.js";
import { nextCronTime } from "../cron.js";
import { scheduleNow } from "../scheduler.js";
import type { NewSchedule, ScheduleRow } from "../store/port/index.js";
import type { HandlerTable } from "./types.js";

type ScheduleHandlers = Pick<HandlerTable, "schedule" | "list_scheduled" | "cancel_scheduled">;

function ackOf(row: ScheduleRow): Omit<ScheduledAck, "_reqId"> {
  return {
    type: "scheduled_ack",
    scheduledId: row.id,
    deliverAt: row.deliverAt,
    ...(row.cron === null ? {} : { cron: row.cron }),
  };
}

function toEntry(row: ScheduleRow): ScheduledEntry {
  return {
    id: row.id,
    to: row.to,
    message: row.message,
    deliverAt: row.deliverAt,
    createdAt: row.createdAt,
    ...(row.cron === null ? {} : { cron: row.cron }),
    firedCount: row.firedCount,
  };
}

/** The body the entry will fire: a ready envelope, or a reference client's plaintext; else what is wrong. */
function bodyOf(
  frame: FrameOf<"schedule">,
):
  | { ok: true; nonce: string | null; ciphertext: string | null }
  | { ok: false; code: string; detail: string } {
  if (frame.ciphertext !== undefined) {
    if (frame.message !== "") {
      return { ok: false, code: ErrorCode.invalid, detail: 'message: must be "" when ciphertext is given' };
    }
    if (frame.ciphertext === "") return { ok: false, code: ErrorCode.invalid, detail: "ciphertext: empty" };
    return { ok: true, nonce: frame.nonce ?? "", ciphertext: frame.ciphertext };
  }
  if (frame.nonce !== undefined) {
    return { ok: false, code: ErrorCode.invalid, detail: "ciphertext: required with nonce" };
  }
  if (frame.message === "") return { ok: false, code: ErrorCode.invalid, detail: "message: empty" };
  return { ok: true, nonce: null, ciphertext: null };
}

/** The payload the fire will send (§4.12), as `send` counts it: plaintext goes as base64. */
function firedSize(frame: FrameOf<"schedule">): number {
  const body =
    frame.ciphertext !== undefined
      ? (frame.nonce ?? "").length + frame.ciphertext.length
      : Math.ceil(Buffer.byteLength(frame.message, "utf8") / 3) * 4;
  return body + frame.to.length;
}

export const scheduleHandlers: ScheduleHandlers = {
  async schedule({ ctx, conn, presence }, frame) {
    const now = scheduleNow(ctx);
    const target = parseTarget(frame.to);
    if (!target.ok && target.reason === "invalid") {
      conn.error(frame, ErrorCode.invalid, "to: malformed group or topic name");
      return;
    }
    const body = bodyOf(frame);
    if (!body.ok) {
      conn.error(frame, body.code, body.detail);
      return;
    }
    const size = firedSize(frame);
    if (size > MAX_SEND_PAYLOAD) {
      conn.error(frame, ErrorCode.tooLarge, `payload_too_large (${size} bytes > ${MAX_SEND_PAYLOAD})`);
      return;
    }
    let deliverAt: number;
    let cron: string | null = null;
    if (frame.cron !== undefined) {
      const next = nextCronTime(frame.cron, now);
      if (!next.ok) {
        conn.error(frame, ErrorCode.invalidCron, `invalid cron "${frame.cron}": ${next.reason}`);
        return;
      }
      deliverAt = next.next;
      cron = frame.cron.trim().split(/\s+/).join(" ");
    } else if (frame.deliverAt !== undefined && frame.deliverAt !== null) {
      // A time already past fires at once, on the scheduler's next round.
      deliverAt = frame.deliverAt;
    } else {
      conn.error(frame, ErrorCode.invalid, "deliverAt: required without cron");
      return;
    }
    const entry: NewSchedule = {
      id: randomUUID(),
      meshId: presence.meshId,
      memberId: presence.memberId,
      to: frame.to,
      message: frame.message,
      nonce: body.nonce,
      ciphertext: body.ciphertext,
      bodyVersion: frame.bodyVersion ?? null,
      priority: frame.priority ?? "now",
      cron,
      deliverAt,
      clientMessageId: frame.client_message_id ?? null,
      createdAt: now,
    };
    const outcome = await ctx.store.createSchedule(entry, MAX_ACTIVE_SCHEDULES_PER_MEMBER);
    if (outcome.kind === "limit") {
      conn.error(
        frame,
        ErrorCode.limit,
        `at most ${MAX_ACTIVE_SCHEDULES_PER_MEMBER} active scheduled messages per member; cancel one first`,
      );
      return;
    }
    conn.reply(frame, ackOf(outcome.schedule));
  },

  async list_scheduled({ ctx, conn, presence }, frame) {
    const rows = await ctx.store.listSchedules(presence.meshId, presence.memberId);
    conn.reply(frame, { type: "scheduled_list", messages: rows.map(toEntry) });
  },

  async cancel_scheduled({ ctx, conn, presence }, frame) {
    const ok = await ctx.store.cancelSchedule(presence.meshId, presence.memberId, frame.scheduledId);
    conn.reply(frame, { type: "cancel_scheduled_ack", scheduledId: frame.scheduledId, ok });
  },
};
