/** tasks (protocol.md §6.3): a shared task list with an atomic claim. */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { reqId, replyReqId } from "../fields.js";

/** Longest task title and result [ours]: room for an encrypted envelope of a few KiB of text. */
export const TASK_TITLE_MAX_CHARS = 32_768;
export const TASK_RESULT_MAX_CHARS = 131_072;
/** Longest plaintext title and result a client encrypts: its envelope (base64 plus nonce) fits the above. */
export const TASK_TITLE_PLAINTEXT_MAX_CHARS = 4_096;
export const TASK_RESULT_PLAINTEXT_MAX_CHARS = 16_384;
/** `list_tasks` (and the lists `claim_task` / `complete_task` answer with) hold at most this many. */
export const TASK_LIST_MAX = 100;
export const TASK_STATUSES = ["open", "claimed", "done"] as const;
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

const TaskId = z.string().min(1).max(64);
const Tags = z.array(z.string().min(1).max(64)).max(32);

export const CreateTaskFrame = z.object({
  type: z.literal("create_task"),
  title: z.string().min(1).max(TASK_TITLE_MAX_CHARS),
  /** A display name; free text to the broker. */
  assignee: z.string().min(1).max(128).optional(),
  priority: z.string().min(1).max(32).optional(),
  tags: Tags.optional(),
  _reqId: reqId,
});

export const ClaimTaskFrame = z.object({ type: z.literal("claim_task"), taskId: TaskId, _reqId: reqId });

export const CompleteTaskFrame = z.object({
  type: z.literal("complete_task"),
  taskId: TaskId,
  result: z.string().max(TASK_RESULT_MAX_CHARS).optional(),
  _reqId: reqId,
});

export const ListTasksFrame = z.object({
  type: z.literal("list_tasks"),
  status: TaskStatus.optional(),
  assignee: z.string().min(1).max(128).optional(),
  _reqId: reqId,
});

export const TaskEntry = z.object({
  id: z.string(),
  /** As the creator sent it: an encrypted `cm:enc1:` string from our clients. */
  title: z.string(),
  assignee: z.string().nullable(),
  claimedBy: z.string().nullable(),
  status: TaskStatus,
  priority: z.string(),
  createdBy: z.string(),
  tags: z.array(z.string()),
  createdAt: z.string(),
  /** [ours, additive] The completion result (encrypted from our clients), null until done. */
  result: z.string().nullable().optional(),
});
export type TaskEntry = z.infer<typeof TaskEntry>;

export const TaskCreated = z.object({ type: z.literal("task_created"), id: z.string(), _reqId: replyReqId });

export const TaskList = z.object({
  type: z.literal("task_list"),
  tasks: z.array(TaskEntry),
  /** [ours, additive] On `claim_task` / `complete_task`: the task the request changed. */
  task: TaskEntry.optional(),
  _reqId: replyReqId,
});
export type TaskList = z.infer<typeof TaskList>;

/** [ours, additive] `eventData` of the `task_change` system push every presence of the mesh gets. */
export const TaskChangeData = z.object({
  taskId: z.string(),
  action: z.enum(["created", "claimed", "done"]),
  status: TaskStatus,
  by: z.string(),
});
export type TaskChangeData = z.infer<typeof TaskChangeData>;

export const taskRequests = [CreateTaskFrame, ClaimTaskFrame, CompleteTaskFrame, ListTasksFrame] as const;
type TaskRequestType = z.infer<(typeof taskRequests)[number]>["type"];

export const taskReplies = {
  create_task: TaskCreated,
  claim_task: TaskList,
  complete_task: TaskList,
  list_tasks: TaskList,
} as const satisfies ReplyTable<TaskRequestType>;
