/**
 * Every endpoint of the daemon's local API, defined once: its method and path here, its input as the schema
 * in `schemas.ts` (`EndpointInput` / `ValidInput`), its output as {@link EndpointOutputs}. The daemon
 * implements each one (a missing implementation is a compile error, src/daemon/ipc/routes/), and one
 * generic client calls them (`DaemonClient.call`). Path parameters (`:id`) come from the input field of the
 * same name; GET and DELETE send the rest as the query, POST as the JSON body.
 */
import type {
  HealthResponse,
  InboxResponse,
  LaneActivity,
  MemberView,
  MeshInfoView,
  MessageStatusResponse,
  OutboxItem,
  PeersResponse,
  RegisterSessionResponse,
  SendResponse,
  SessionInfo,
  StatusResponse,
  StatusView,
  SurfacedResponse,
  VersionResponse,
  StateEntryView,
  ContextView,
} from "./contract.js";
import type { MemoryView, SkillDetailView, SkillView } from "./contract.js";
import type { LeaseConflict, LeaseGrantView, LeaseView, TaskView } from "./tasks-leases.js";
import type { ScheduleCreatedView, ScheduleView } from "./schedules.js";
import type { AuditEntryView, AuditVerifyView } from "./audit.js";
import type { TopicCreatedView, TopicMemberView, TopicMessageView, TopicView } from "./topics.js";
import type { FileTransferView, FileView } from "./files.js";

export type Method = "GET" | "POST" | "DELETE";

/** How long an endpoint that `waits` waits when its input does not say (ms). */
export const DEFAULT_WAIT_MS = 2_000;

export interface EndpointDef {
  method: Method;
  path: string;
  /**
   * The input field (ms, default {@link DEFAULT_WAIT_MS}) the daemon may wait before it answers; a caller's
   * timeout allows for it.
   */
  waits?: string;
}

export const ENDPOINTS = {
  version: { method: "GET", path: "/v1/version" },
  health: { method: "GET", path: "/v1/health" },
  reloadMeshes: { method: "POST", path: "/v1/meshes/reload" },
  leaveMesh: { method: "POST", path: "/v1/meshes/leave" },
  shutdown: { method: "POST", path: "/v1/shutdown" },
  registerSession: { method: "POST", path: "/v1/sessions/register" },
  deregisterSession: { method: "DELETE", path: "/v1/sessions/:token" },
  sessionsMe: { method: "GET", path: "/v1/sessions/me" },
  sessions: { method: "GET", path: "/v1/sessions" },
  peers: { method: "GET", path: "/v1/peers" },
  members: { method: "GET", path: "/v1/members" },
  groups: { method: "GET", path: "/v1/groups" },
  setStatus: { method: "POST", path: "/v1/status" },
  status: { method: "GET", path: "/v1/status" },
  setSummary: { method: "POST", path: "/v1/summary" },
  joinGroup: { method: "POST", path: "/v1/groups/join" },
  leaveGroup: { method: "POST", path: "/v1/groups/leave" },
  send: { method: "POST", path: "/v1/send", waits: "wait_ms" },
  outbox: { method: "GET", path: "/v1/outbox" },
  requeue: { method: "POST", path: "/v1/outbox/requeue" },
  messageStatus: { method: "GET", path: "/v1/messages/:id/status" },
  inbox: { method: "GET", path: "/v1/inbox" },
  laneActivity: { method: "GET", path: "/v1/inbox/lanes" },
  reserve: { method: "POST", path: "/v1/inbox/reserve" },
  markSurfaced: { method: "POST", path: "/v1/inbox/surfaced" },
  info: { method: "GET", path: "/v1/info" },
  kick: { method: "POST", path: "/v1/moderation/kick" },
  ban: { method: "POST", path: "/v1/moderation/ban" },
  unban: { method: "POST", path: "/v1/moderation/unban" },
  listState: { method: "GET", path: "/v1/state" },
  getState: { method: "GET", path: "/v1/state/value" },
  setState: { method: "POST", path: "/v1/state" },
  listContexts: { method: "GET", path: "/v1/contexts" },
  getContext: { method: "GET", path: "/v1/contexts/search" },
  shareContext: { method: "POST", path: "/v1/contexts" },
  remember: { method: "POST", path: "/v1/memory" },
  recall: { method: "GET", path: "/v1/memory" },
  forget: { method: "DELETE", path: "/v1/memory" },
  shareSkill: { method: "POST", path: "/v1/skills" },
  listSkills: { method: "GET", path: "/v1/skills" },
  getSkill: { method: "GET", path: "/v1/skills/:name" },
  removeSkill: { method: "DELETE", path: "/v1/skills/:name" },
  createTask: { method: "POST", path: "/v1/tasks" },
  listTasks: { method: "GET", path: "/v1/tasks" },
  claimTask: { method: "POST", path: "/v1/tasks/:id/claim" },
  completeTask: { method: "POST", path: "/v1/tasks/:id/complete" },
  acquireLease: { method: "POST", path: "/v1/leases" },
  listLeases: { method: "GET", path: "/v1/leases" },
  renewLease: { method: "POST", path: "/v1/leases/renew" },
  releaseLease: { method: "POST", path: "/v1/leases/release" },
  checkLeases: { method: "POST", path: "/v1/leases/check" },
  auditLog: { method: "GET", path: "/v1/audit" },
  auditVerify: { method: "GET", path: "/v1/audit/verify" },
  createTopic: { method: "POST", path: "/v1/topics" },
  listTopics: { method: "GET", path: "/v1/topics" },
  joinTopic: { method: "POST", path: "/v1/topics/:name/join" },
  leaveTopic: { method: "POST", path: "/v1/topics/:name/leave" },
  topicMembers: { method: "GET", path: "/v1/topics/:name/members" },
  topicHistory: { method: "GET", path: "/v1/topics/:name/history" },
  markTopicRead: { method: "POST", path: "/v1/topics/:name/read" },
  /** The daemon reads `path` (same user, same machine), encrypts and uploads it. */
  shareFile: { method: "POST", path: "/v1/files" },
  listFiles: { method: "GET", path: "/v1/files" },
  /** The daemon downloads, decrypts and checks the file, and writes it to `path`. */
  getFile: { method: "POST", path: "/v1/files/:id/get" },
  deleteFile: { method: "DELETE", path: "/v1/files/:id" },
  createSchedule: { method: "POST", path: "/v1/schedules" },
  listSchedules: { method: "GET", path: "/v1/schedules" },
  cancelSchedule: { method: "DELETE", path: "/v1/schedules/:id" },
  /** Server-sent events (not a JSON answer): follow it with `daemon-api/events.ts`. */
  events: { method: "GET", path: "/v1/events" },
} as const satisfies Record<string, EndpointDef>;

export type EndpointName = keyof typeof ENDPOINTS;

export interface Ok {
  ok: boolean;
}
type Moderated<T> = Ok & { mesh: string } & T;

/** What each endpoint answers (2xx). */
export interface EndpointOutputs {
  version: VersionResponse;
  health: HealthResponse;
  reloadMeshes: Ok & { attached: string[]; detached: string[]; retried: string[] };
  leaveMesh: Moderated<{ member_id: string }>;
  shutdown: Ok;
  registerSession: RegisterSessionResponse;
  deregisterSession: Ok;
  sessionsMe: SessionInfo;
  sessions: { sessions: SessionInfo[] };
  peers: PeersResponse;
  members: { members: MemberView[] };
  groups: { groups: Array<{ mesh: string; name: string; role: string | null }> };
  setStatus: StatusResponse;
  status: StatusView;
  setSummary: Ok;
  joinGroup: Ok;
  leaveGroup: Ok;
  send: SendResponse;
  outbox: { items: OutboxItem[] };
  requeue: Ok & { item: OutboxItem };
  messageStatus: MessageStatusResponse;
  inbox: InboxResponse;
  laneActivity: LaneActivity;
  reserve: { reserved: string[] };
  markSurfaced: SurfacedResponse;
  info: MeshInfoView;
  kick: Moderated<{ kicked: string[]; affected: string[]; skipped_control_plane: string[] }>;
  ban: Moderated<{ banned: string }>;
  unban: Moderated<{ unbanned: string }>;
  listState: { mesh: string; entries: StateEntryView[] };
  getState: StateEntryView & { mesh: string };
  setState: Ok & { mesh: string; key: string };
  listContexts: { mesh: string; contexts: ContextView[] };
  getContext: { mesh: string; contexts: ContextView[] };
  shareContext: { mesh: string; id: string };
  remember: { id: string };
  recall: { memories: MemoryView[] };
  forget: { id: string; forgotten: boolean };
  shareSkill: { name: string; action: "shared" };
  listSkills: { skills: SkillView[] };
  getSkill: { skill: SkillDetailView | null };
  removeSkill: { name: string; action: "removed" | "not_found" };
  createTask: { id: string };
  listTasks: { tasks: TaskView[] };
  claimTask: { id: string; status: TaskView["status"]; claimed_by: string | null };
  completeTask: { id: string; status: TaskView["status"] };
  acquireLease: LeaseGrantView;
  listLeases: { leases: LeaseView[] };
  renewLease: LeaseGrantView;
  releaseLease: { resource: string; released: boolean };
  checkLeases: { conflicts: LeaseConflict[] };
  auditLog: { entries: AuditEntryView[] };
  auditVerify: AuditVerifyView;
  createTopic: TopicCreatedView;
  listTopics: { topics: TopicView[] };
  joinTopic: { topic: string; joined: boolean };
  leaveTopic: { topic: string; joined: boolean };
  topicMembers: { topic: string; members: TopicMemberView[] };
  topicHistory: { topic: string; messages: TopicMessageView[] };
  markTopicRead: { topic: string };
  shareFile: FileTransferView;
  listFiles: { files: FileView[] };
  getFile: FileTransferView & { path: string };
  deleteFile: { id: string; deleted: boolean };
  createSchedule: ScheduleCreatedView;
  listSchedules: { scheduled: ScheduleView[] };
  cancelSchedule: { id: string; cancelled: boolean };
  events: never;
}

export type EndpointOutput<K extends EndpointName> = EndpointOutputs[K];

/** Endpoints that answer JSON (every one but the event stream). */
export type JsonEndpoint = Exclude<EndpointName, "events">;
