/**
 * The input of every daemon endpoint, as the zod schema the daemon validates it with (JSON body, or query
 * and path parameters for GET/DELETE). One schema per endpoint of {@link ENDPOINTS}; the input types callers
 * use are derived from these (`EndpointInput`), so a shape is written once. Only the daemon loads this
 * module at run time: callers import its types only, so a hook never pays for a schema library.
 */
import { isAbsolute } from "node:path";
import { z } from "zod";
import {
  FILE_KEYS_MAX,
  FileName,
  CONTEXT_ITEM_MAX_CHARS,
  CONTEXT_ITEMS_MAX,
  CONTEXT_QUERY_MAX_CHARS,
  CONTEXT_SUMMARY_MAX_CHARS,
  CONTEXT_TAG_MAX_CHARS,
  CONTEXT_TAGS_MAX,
  DisplayName,
  MessageMode,
  PresenceStatus,
  Priority,
  STATE_KEY_MAX_CHARS,
  SUMMARY_MAX_CHARS,
  LEASE_REASON_MAX_CHARS,
  LEASE_RESOURCE_MAX_CHARS,
  LEASE_TTL_MAX_MS,
  LEASE_TTL_MIN_MS,
  TaskStatus,
  TASK_RESULT_PLAINTEXT_MAX_CHARS,
  TASK_TITLE_PLAINTEXT_MAX_CHARS,
  AUDIT_QUERY_MAX,
  TOPIC_DESCRIPTION_MAX_CHARS,
  TOPIC_HISTORY_MAX,
  TopicName,
} from "../protocol/index.js";
import { SURFACED_LANES } from "./contract.js";
import type { EndpointName } from "./endpoints.js";
import { MEMORY_SKILL_SCHEMAS } from "./memory-skills.js";
import { SCHEDULE_SCHEMAS } from "./schedules.js";

/** The most rows one inbox or outbox listing returns. */
export const LIST_MAX_LIMIT = 1_000;
/** How long `send` may wait for the broker's ack. */
export const SEND_MAX_WAIT_MS = 10_000;
/** The longest reservation a lane may ask for. */
export const RESERVATION_MAX_MS = 60_000;

const Mesh = z.string().min(1);
const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => isAbsolute(p), "must be an absolute path");
/** Task priorities the CLI offers (the wire takes any short string). */
/** A caller-chosen id a share or get reports its `file_progress` events under. */
const TransferId = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and - only");

export const TASK_PRIORITIES = ["low", "normal", "high", "urgent"] as const;
const TaskIdInput = z.string().min(1).max(64);
const LeaseResource = z
  .string()
  .min(1, "the resource is empty")
  .max(LEASE_RESOURCE_MAX_CHARS, `a resource is at most ${LEASE_RESOURCE_MAX_CHARS} characters`);
const LeaseTtl = z.coerce
  .number()
  .int()
  .min(LEASE_TTL_MIN_MS, "a lease lasts at least 1 minute")
  .max(LEASE_TTL_MAX_MS, "a lease lasts at most 24 hours");
/** A query flag: `true`/`false` from a caller, `1`/`0`/`true`/`false` on the wire. */
const Flag = z
  .union([z.boolean(), z.enum(["1", "0", "true", "false"])])
  .transform((v) => v === true || v === "1" || v === "true");
const Limit = z.coerce.number().int().min(1).max(LIST_MAX_LIMIT);
const Ids = z.array(z.string().min(1).max(128)).max(LIST_MAX_LIMIT);
const Nothing = z.object({});
/** A topic's name (or id), with or without its `#`. */
const TopicInput = z
  .string()
  .min(1)
  .max(129)
  .transform((v) => (v.startsWith("#") ? v.slice(1) : v));
const MeshOnly = z.object({ mesh: Mesh.optional() });
const ModerationTarget = z.object({
  target: z.string().min(1).max(128),
  reason: z.string().max(512).optional(),
  mesh: Mesh.optional(),
});
const Group = z.object({
  name: z.string().min(1).max(128),
  role: z.string().min(1).max(64).optional(),
  mesh: Mesh.optional(),
});

export const SCHEMAS = {
  version: Nothing,
  health: Nothing,
  reloadMeshes: Nothing,
  leaveMesh: MeshOnly,
  shutdown: Nothing,
  registerSession: z.object({
    pid: z.number().int().positive(),
    session_id: z.string().min(1).max(256),
    mesh: Mesh.optional(),
    name: DisplayName.min(1).optional(),
    role: z.string().min(1).max(64).optional(),
    groups: z.array(z.string().min(1).max(128)).max(64).optional(),
    message_mode: MessageMode.optional(),
    cwd: z.string().max(4096),
    channel_flag: z.boolean().optional(),
  }),
  deregisterSession: z.object({ token: z.string().min(1).max(128) }),
  sessionsMe: Nothing,
  sessions: Nothing,
  peers: z.object({ mesh: Mesh.optional(), all: Flag.optional() }),
  members: MeshOnly,
  groups: MeshOnly,
  setStatus: z.object({
    status: PresenceStatus,
    source: z.enum(["manual", "hook"]).optional(),
    mesh: Mesh.optional(),
    /** When the reporter saw the event (epoch ms); a write older than the one held is dropped. */
    at: z.number().positive().optional(),
  }),
  status: MeshOnly,
  setSummary: z.object({ summary: z.string().max(SUMMARY_MAX_CHARS), mesh: Mesh.optional() }),
  joinGroup: Group,
  leaveGroup: Group.omit({ role: true }),
  send: z.object({
    to: z.string().min(1).max(256),
    message: z.string().min(1),
    mesh: Mesh.optional(),
    priority: Priority.optional(),
    reply_to: z.string().min(1).max(128).optional(),
    client_message_id: z.string().min(1).max(128).optional(),
    wait_ms: z.number().int().min(0).max(SEND_MAX_WAIT_MS).optional(),
  }),
  outbox: z.object({
    status: z.enum(["pending", "inflight", "done", "dead"]).optional(),
    mesh: Mesh.optional(),
    limit: Limit.optional(),
  }),
  requeue: z.object({ id: z.string().min(1).max(128) }),
  messageStatus: z.object({ id: z.string().min(1).max(128), mesh: Mesh.optional() }),
  inbox: z.object({
    mesh: Mesh.optional(),
    unread: Flag.optional(),
    since: z.string().min(1).optional(),
    limit: Limit.optional(),
    scope: z.enum(["lane", "read"]).optional(),
    /** Answer once the meshes' connections that are coming up have stored what waited (bounded). */
    sync: Flag.optional(),
  }),
  laneActivity: Nothing,
  reserve: z.object({ ids: Ids, ttl_ms: z.number().int().min(1).max(RESERVATION_MAX_MS).optional() }),
  markSurfaced: z.object({ ids: Ids, lane: z.enum(SURFACED_LANES).optional() }),
  info: MeshOnly,
  kick: ModerationTarget,
  ban: ModerationTarget,
  unban: ModerationTarget,
  listState: MeshOnly,
  getState: z.object({ key: z.string().min(1).max(STATE_KEY_MAX_CHARS), mesh: Mesh.optional() }),
  setState: z.object({
    key: z.string().min(1).max(STATE_KEY_MAX_CHARS),
    value: z.unknown().refine((v) => v !== undefined, "required"),
    mesh: Mesh.optional(),
  }),
  listContexts: MeshOnly,
  getContext: z.object({ query: z.string().min(1).max(CONTEXT_QUERY_MAX_CHARS), mesh: Mesh.optional() }),
  shareContext: z.object({
    summary: z.string().min(1).max(CONTEXT_SUMMARY_MAX_CHARS),
    files_read: z.array(z.string().min(1).max(CONTEXT_ITEM_MAX_CHARS)).max(CONTEXT_ITEMS_MAX).optional(),
    key_findings: z.array(z.string().min(1).max(CONTEXT_ITEM_MAX_CHARS)).max(CONTEXT_ITEMS_MAX).optional(),
    tags: z.array(z.string().min(1).max(CONTEXT_TAG_MAX_CHARS)).max(CONTEXT_TAGS_MAX).optional(),
    mesh: Mesh.optional(),
  }),
  ...MEMORY_SKILL_SCHEMAS,
  createTask: z.object({
    title: z.string().min(1).max(TASK_TITLE_PLAINTEXT_MAX_CHARS),
    assignee: z.string().min(1).max(128).optional(),
    priority: z.enum(TASK_PRIORITIES).optional(),
    tags: z.array(z.string().min(1).max(64)).max(32).optional(),
    mesh: Mesh.optional(),
  }),
  listTasks: z.object({
    status: TaskStatus.optional(),
    assignee: z.string().min(1).max(128).optional(),
    mesh: Mesh.optional(),
  }),
  claimTask: z.object({ id: TaskIdInput, mesh: Mesh.optional() }),
  completeTask: z.object({
    id: TaskIdInput,
    result: z.string().max(TASK_RESULT_PLAINTEXT_MAX_CHARS).optional(),
    mesh: Mesh.optional(),
  }),
  acquireLease: z.object({
    resource: LeaseResource,
    ttl_ms: LeaseTtl.optional(),
    reason: z.string().max(LEASE_REASON_MAX_CHARS).optional(),
    mesh: Mesh.optional(),
  }),
  listLeases: z.object({
    prefix: z.string().max(LEASE_RESOURCE_MAX_CHARS).optional(),
    mesh: Mesh.optional(),
  }),
  renewLease: z.object({ resource: LeaseResource, ttl_ms: LeaseTtl.optional(), mesh: Mesh.optional() }),
  releaseLease: z.object({ resource: LeaseResource, mesh: Mesh.optional() }),
  checkLeases: z.object({
    paths: z
      .array(z.object({ path: z.string().min(1).max(4096), resource: LeaseResource }))
      .min(1)
      .max(1_000),
    mesh: Mesh.optional(),
  }),
  auditLog: z.object({
    limit: z.coerce.number().int().min(1).max(AUDIT_QUERY_MAX).optional(),
    before_seq: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    mesh: Mesh.optional(),
  }),
  auditVerify: z.object({ mesh: Mesh.optional() }),
  createTopic: z.object({
    name: TopicName,
    description: z.string().max(TOPIC_DESCRIPTION_MAX_CHARS).optional(),
    private: z.boolean().optional(),
    mesh: Mesh.optional(),
  }),
  listTopics: MeshOnly,
  joinTopic: z.object({
    name: TopicInput,
    member: z.string().min(1).max(128).optional(),
    mesh: Mesh.optional(),
  }),
  leaveTopic: z.object({ name: TopicInput, mesh: Mesh.optional() }),
  topicMembers: z.object({ name: TopicInput, mesh: Mesh.optional() }),
  topicHistory: z.object({
    name: TopicInput,
    limit: z.coerce.number().int().min(1).max(TOPIC_HISTORY_MAX).optional(),
    before: z.string().min(1).max(64).optional(),
    mesh: Mesh.optional(),
  }),
  markTopicRead: z.object({ name: TopicInput, mesh: Mesh.optional() }),
  shareFile: z.object({
    /** Absolute path of the file to share. */
    path: AbsolutePath,
    /** Peers (display name or member pubkey) it is sealed to; every member when absent or empty. */
    to: z.array(z.string().min(1).max(128)).max(FILE_KEYS_MAX).optional(),
    name: FileName.optional(),
    persistent: z.boolean().optional(),
    mesh: Mesh.optional(),
    transfer_id: TransferId.optional(),
  }),
  listFiles: z.object({ query: z.string().max(256).optional(), mesh: Mesh.optional() }),
  getFile: z.object({
    id: z.string().min(1).max(64),
    /**
     * Absolute path to write the file to, or an existing directory to write it into under its shared name
     * (refused with `unsafe_file_name` when that is not one plain, visible file name).
     */
    path: AbsolutePath,
    /** Replace a file already at the destination; without it, an existing file is refused with `file_exists`. */
    overwrite: z.boolean().optional(),
    mesh: Mesh.optional(),
    transfer_id: TransferId.optional(),
  }),
  deleteFile: z.object({ id: z.string().min(1).max(64), mesh: Mesh.optional() }),
  ...SCHEDULE_SCHEMAS,
  events: z.object({ mesh: Mesh.optional(), last_event_id: z.string().optional() }),
} satisfies Record<EndpointName, z.ZodType>;

/** What a caller passes to an endpoint. */
export type EndpointInput<K extends EndpointName> = z.input<(typeof SCHEMAS)[K]>;
/** What the daemon's implementation of an endpoint receives, validated. */
export type ValidInput<K extends EndpointName> = z.output<(typeof SCHEMAS)[K]>;

/** {@link SCHEMAS} typed per endpoint, so generic code can validate the input of any endpoint `K`. */
export const SCHEMA_OF: { [K in EndpointName]: z.ZodType<ValidInput<K>, EndpointInput<K>> } = SCHEMAS;
