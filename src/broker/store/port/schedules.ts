/** What the scheduled-messages family stores (protocol.md §6.5). */
import type { Priority } from "../../../protocol/index.js";

export type ScheduleStatus = "active" | "done" | "cancelled";

export interface ScheduleRow {
  id: string;
  meshId: string;
  /** The creator's member: the fired message is sent as it. */
  memberId: string;
  /** The `targetSpec`, resolved when the entry fires. */
  to: string;
  /** Reference clients' plaintext; `""` when the entry holds an envelope. */
  message: string;
  /** The ready envelope from our clients (made with the member key), else null. */
  nonce: string | null;
  ciphertext: string | null;
  bodyVersion: number | null;
  priority: Priority;
  /** 5-field cron (UTC) of a recurring entry; null for a one-shot. */
  cron: string | null;
  /** The next due time. */
  deliverAt: number;
  clientMessageId: string | null;
  firedCount: number;
  status: ScheduleStatus;
  createdAt: number;
}

export type NewSchedule = Omit<ScheduleRow, "firedCount" | "status">;

export type CreateScheduleOutcome =
  | { kind: "created"; schedule: ScheduleRow }
  /** The member already has an entry with this `clientMessageId`: it is returned, nothing is created. */
  | { kind: "duplicate"; schedule: ScheduleRow }
  | { kind: "limit" };

/**
 * What became of a due entry: `fired` (it sent its message: `firedCount + 1`) or not (its creator left the
 * mesh); then due again at `next`, or ended (`done` when it fired, else `cancelled`) when `next` is null.
 */
export interface ScheduleFire {
  id: string;
  fired: boolean;
  next: number | null;
}

export interface ScheduleStore {
  /**
   * Atomically: the entry, unless the member already has one with the same `clientMessageId` (then that
   * one, as `duplicate`) or already holds `maxActive` active entries (`limit`), on any node.
   */
  createSchedule(schedule: NewSchedule, maxActive: number): Promise<CreateScheduleOutcome>;
  /** The member's active entries in the mesh, soonest first. */
  listSchedules(meshId: string, memberId: string): Promise<ScheduleRow[]>;
  /** Cancels an active entry of the member; false when there is none by that id. */
  cancelSchedule(meshId: string, memberId: string, scheduleId: string): Promise<boolean>;
  /**
   * Active entries due at `now`, soonest first, at most `limit`, each locked until the transaction this
   * runs in ends: a concurrent caller on another node skips them instead of waiting (PostgreSQL `FOR
   * UPDATE SKIP LOCKED`; SQLite has a single writer). Call it inside `transaction()` together with
   * {@link recordScheduleFires} and the fired messages' commit.
   */
  lockDueSchedules(now: number, limit: number): Promise<ScheduleRow[]>;
  /** Records what became of due entries (see {@link ScheduleFire}). */
  recordScheduleFires(fires: readonly ScheduleFire[]): Promise<void>;
  /**
   * Retention: deletes at most `limit` entries that ended (done or cancelled) before `before`; answers how
   * many. Their `clientMessageId` is free again afterwards.
   */
  deleteEndedSchedules(before: number, limit: number): Promise<number>;
}
