/** What the tasks family stores (protocol.md §6.3). */
import type { TaskStatus } from "../../../protocol/index.js";

export interface TaskRow {
  id: string;
  meshId: string;
  /** Opaque to the broker: an encrypted envelope from our clients. */
  title: string;
  assignee: string | null;
  priority: string;
  tags: string[];
  status: TaskStatus;
  createdByMemberId: string;
  createdByName: string;
  claimedByMemberId: string | null;
  claimedByName: string | null;
  result: string | null;
  createdAt: number;
}

export type NewTask = Omit<TaskRow, "status" | "claimedByMemberId" | "claimedByName" | "result">;

export interface TaskFilter {
  status?: TaskStatus;
  assignee?: string;
}

export interface TaskCounts {
  open: number;
  claimed: number;
  done: number;
}

export interface TaskStore {
  createTask(task: NewTask): Promise<void>;
  getTask(meshId: string, taskId: string): Promise<TaskRow | null>;
  /**
   * One atomic compare-and-set `open → claimed` (a single conditional UPDATE): of any number of concurrent
   * claimers on any nodes exactly one gets the row back; the others (and any claim of a task that is not
   * open or not in `meshId`) get null.
   */
  claimTask(
    meshId: string,
    taskId: string,
    claimer: { memberId: string; name: string },
    now: number,
  ): Promise<TaskRow | null>;
  /** Marks a task done with its result; null when it is not in `meshId`. A done task is left as it is. */
  completeTask(meshId: string, taskId: string, result: string | null, now: number): Promise<TaskRow | null>;
  /** Newest first, at most `limit`. */
  listTasks(meshId: string, filter: TaskFilter, limit: number): Promise<TaskRow[]>;
  taskCounts(meshId: string): Promise<TaskCounts>;
}
