/**
 * The daemon's local API (HTTP over `<daemon dir>/daemon.sock`, versioned under `/v1`): request and
 * response shapes shared by the daemon (server) and its clients (CLI, MCP server, hooks).
 * Field names are snake_case like the CLI's JSON output. No shape here ever carries a secret key.
 *
 * Auth: `Authorization: ClaudeMesh-Session <hex token>` scopes default mesh, inbox and events to a
 * launched session. The optional TCP listener requires `Authorization: Bearer <local token>`.
 * Errors: a non-2xx status with {@link ApiError}.
 *
 * Notes on the daemon's behaviour (src/daemon/ipc/routes/):
 * - An unknown session token is 401 `invalid_session_token` (never widened to the member's view).
 * - On the TCP listener the Authorization header carries the Bearer token, so TCP callers are never a
 *   session (member-level scope only). The token file is `<daemon dir>/local-token` (0600); the port is
 *   `CLAUDEMESH_DAEMON_TCP_PORT`. Requests with `Origin` or a non-loopback `Host` get 403.
 * - Mesh selection everywhere: `mesh` (slug or id), else the caller session's, else the only one, else the
 *   config default; else 400 `mesh_required`. A disabled mesh (kicked/banned/left) is 403 `mesh_disabled`;
 *   a broker that cannot be reached is 503 `broker_unreachable`. Bodies over 64 KiB are 413.
 * - Endpoints (method, path, input, output) are listed in endpoints.ts; `leaveMesh` sends `leave_mesh` and
 *   disables the mesh; `groups` answers the caller's own presence's groups; after `shutdown` answers, the
 *   daemon says `bye` on every connection and exits 0.
 */
import type { MessageMode, PeerRole, PresenceStatus, Priority } from "../protocol/index.js";

export const DAEMON_API_VERSION = 1;

export interface ApiError {
  error: string;
  message: string;
  hint?: string;
  /** For `unknown_target` / `ambiguous_target`: who it could have meant. */
  candidates?: TargetCandidate[];
}

export interface TargetCandidate {
  display_name: string;
  pubkey: string;
  session_pubkey: string | null;
  kind: "member" | "session";
  online: boolean;
}

/** `version` */
export interface VersionResponse {
  version: string;
  api: number;
  pid: number;
  features: string[];
}

export type MeshConnectionState = "connecting" | "connected" | "disconnected" | "disabled";

/** `health` */
export interface HealthResponse {
  ok: boolean;
  pid: number;
  uptime_ms: number;
  meshes: Array<{
    mesh_id: string;
    slug: string;
    state: MeshConnectionState;
    connected: boolean;
    /** Why the mesh is disabled or last failed (e.g. "banned: Contact the mesh owner to rejoin."). */
    last_error: string | null;
  }>;
  sessions: number;
}

export interface RegisterSessionResponse {
  token: string;
  session_pubkey: string;
  mesh_id: string;
  slug: string;
  display_name: string;
}

/**
 * `sessionsMe` (needs the session token; 401 `no_session` without); `sessions` →
 * {sessions: SessionInfo[]} without tokens. `deregisterSession` ends one (`me` = the session of the
 * Authorization header): `bye` on its connection and a `session_end` event to its streams.
 */
export interface SessionInfo {
  session_id: string;
  session_pubkey: string;
  mesh_id: string;
  slug: string;
  display_name: string;
  pid: number;
  cwd: string;
  role: string | null;
  groups: string[];
  message_mode: MessageMode;
  connected: boolean;
  registered_at: string;
  /**
   * Whether `launch` passed the development-channels flag (`channel_flag` of the register request, false
   * when absent; kept across daemon restarts); `doctor` reports the channel lane from it.
   */
  channel_flag: boolean;
}

/** `peers` */
export interface PeerView {
  mesh: string;
  display_name: string;
  /** Always the member key. */
  pubkey: string;
  /** The session key, or null for a member (daemon / control-plane) connection. */
  session_pubkey: string | null;
  peer_role: PeerRole;
  /** `ai`, `human` or `connector` as the presence said in its hello, or null. */
  peer_type: string | null;
  /** The client it runs in (`claudemesh-web` for a person in the browser), or null. */
  channel: string | null;
  status: PresenceStatus;
  summary: string | null;
  groups: string[];
  cwd: string;
  this_session: boolean;
  /** True for presences of the caller's own member. */
  self: boolean;
}
export interface PeersResponse {
  peers: PeerView[];
}

/** `members` */
export interface MemberView {
  mesh: string;
  member_id: string;
  pubkey: string;
  display_name: string;
  role: "owner" | "admin" | "member";
  online: boolean;
  joined_at: string;
}

export interface SendResponse {
  message_id: string;
  broker_message_id: string | null;
  status: "sent" | "queued";
  recipient_online: boolean;
  /** While queued after an attempt that did not go (a rate limit, no connection): why, as the daemon saw it. */
  last_error?: string;
  /** How the target resolved. */
  target: { spec: string; kind: "member" | "session" | "broadcast" | "group" | "topic"; display: string };
}

/** One received message, as `inbox --json` prints it. */
export interface InboxMessage {
  id: string;
  mesh: string;
  from_name: string;
  from_pubkey: string;
  from_session_pubkey: string | null;
  /** The target as sent: a key, `*`, `@group`. */
  to: string;
  body: string;
  priority: Priority;
  topic: string | null;
  reply_to: string | null;
  sent_at: string;
  received_at: string;
  surfaced: boolean;
  broker_message_id: string;
  /** False for legacy unencrypted multicast bodies; `undecryptable` bodies are a notice, never bytes. */
  encrypted: boolean;
  undecryptable?: boolean;
  /**
   * The session this message was addressed to (its key), or null for a member-level message. A message
   * for a session that has ended stays with that session: it is never shown in another session's context.
   */
  for_session?: string | null;
  /** For a message addressed to a session that is not running: its Claude Code session id, when known. */
  for_ended_session?: { session_id: string | null };
}
/**
 * `inbox` — `scope=lane` lists what a delivery lane
 * may show this caller (see the daemon's inbox store); `read` (default) what `inbox` shows.
 */
export interface InboxResponse {
  messages: InboxMessage[];
  /** How many messages matched before `limit` (the hooks say how many more wait). */
  total?: number;
  /**
   * Meshes whose waiting messages may be missing from `messages`, when there are any: the broker is
   * unreachable (`connecting`, `disconnected`: they arrive once it reconnects), or it is still sending what
   * waited for the member (`connected`, after the bounded wait of `sync`).
   */
  unsynced?: UnsyncedMesh[];
}

/** A mesh whose connection has not stored everything the broker holds for the member. */
export interface UnsyncedMesh {
  mesh: string;
  state: MeshConnectionState;
  last_error: string | null;
}
/**
 * Lanes that mark a message surfaced: `channel` = confirmed seen by the model as a channel message, `push` =
 * sent on the channel without a way to confirm it (no prompt hook installed).
 */
export const SURFACED_LANES = ["channel", "push", "prompt", "wait", "inbox", "tool"] as const;
/**
 * `laneActivity`: when a channel message was last confirmed seen by the model (the prompt hook saw it
 * come in, or the transcript shows it), and when one was last pushed without a way to confirm it.
 */
export interface LaneActivity {
  channel_confirmed_at: string | null;
  channel_pushed_at: string | null;
}
/**
 * The answer to `markSurfaced`. `marked` counts the marks that are new: a lane that marks one id
 * and gets 0 back knows another lane already showed that message, so it must not show it again.
 */
export interface SurfacedResponse {
  ok: boolean;
  marked: number;
}

export type OutboxStatus = "pending" | "inflight" | "done" | "dead";
/** `outbox` → {items: OutboxItem[]} (oldest first, newest `limit`, default 200) */
export interface OutboxItem {
  id: string;
  mesh: string;
  to: string;
  target_spec: string;
  status: OutboxStatus;
  attempts: number;
  last_error: string | null;
  broker_message_id: string | null;
  created_at: string;
  updated_at: string;
}

/** `messageStatus` (client or broker id) */
export interface MessageStatusResponse {
  message_id: string;
  broker_message_id: string | null;
  outbox_status: OutboxStatus | null;
  recipients: Array<{
    pubkey: string;
    display_name: string;
    state: "queued" | "held" | "delivered" | "expired";
  }>;
}

/**
 * The answer to `setStatus`: the daemon keeps the status and applies it on every (re)connect;
 * `pending` = not sent yet because the broker connection is down.
 */
export interface StatusResponse {
  ok: boolean;
  pending: boolean;
}
/** `status` → the status the daemon holds for the caller's connection(s). */
export interface StatusView {
  statuses: Array<{
    mesh: string;
    status: PresenceStatus | null;
    source: "manual" | "hook" | null;
    at: string | null;
  }>;
}

/**
 * Server-sent event names on `events`[?mesh=]. `id:` is a monotonic integer usable as Last-Event-ID
 * (header, or `?last_event_id=`); it keeps growing across daemon restarts. Replay covers `message` events
 * from the inbox and the last 1,000 other events. Data: `message` → {@link MessageEvent}; `peer_join` /
 * `peer_leave` → {@link PeerEvent}; `broker_status` → {@link BrokerStatusEvent}; `system` → {mesh, event,
 * data}; `session_end` → {session_pubkey, session_id, mesh, reason}, after which a session's stream ends;
 * `topic_message` → `TopicMessageEvent` (daemon-api/topics.ts), beside the `message` event of a topic post.
 * `file_shared` → {mesh, fileId, name, size, from, fromPubkey}, a file shared with this member.
 * `file_progress` → `FileProgressEvent` (daemon-api/files.ts), bytes moved by a share or get that named a
 * `transfer_id`; transient (never replayed).
 * `daemon_stopping` → {}: the daemon was asked to stop (not a crash); its streams end next. Transient.
 */
export type DaemonEventName =
  | "message"
  | "peer_join"
  | "peer_leave"
  | "state_change"
  | "task"
  | "lease"
  | "topic_message"
  | "file_shared"
  | "file_progress"
  | "system"
  | "broker_status"
  | "session_end"
  | "daemon_stopping";

export interface MessageEvent {
  message: InboxMessage;
  /** The session this message is for, or null for member-level (all sessions + ambient). */
  session_pubkey: string | null;
}
export interface PeerEvent {
  mesh: string;
  display_name: string;
  pubkey: string;
  session_pubkey: string | null;
  peer_role: PeerRole;
}
export interface BrokerStatusEvent {
  mesh: string;
  state: MeshConnectionState;
  last_error: string | null;
}

/** `info`: the mesh at a glance (protocol.md §6.9 `mesh_info`), as `claudemesh info --json` prints it. */
export interface MeshInfoView {
  /** The mesh's slug. */
  mesh: string;
  /** Presences you can see (online or in grace). */
  peers: number;
  /** Groups those presences are in, as `@name`. */
  groups: string[];
  state_keys: string[];
  memory_count: number;
  file_count: number;
  tasks: { open: number; claimed: number; done: number };
  /** Your display name on this connection (a launched session's own name inside it). */
  your_name: string;
  your_groups: Array<{ name: string; role: string | null }>;
}

/** A state entry (protocol.md §6.1), decrypted, as `claudemesh state get --json` prints it. */
export interface StateEntryView {
  key: string;
  /** The value; `null` for a missing key. */
  value: unknown;
  /** The writer's display name (`""` for a missing key). */
  updated_by: string;
  /** ISO-8601 (`""` for a missing key). */
  updated_at: string;
}

/**
 * The `state_change` event of the event stream: a state key another presence wrote, or (key
 * `_context:<name>`) a context it shared, decrypted, with the mesh's slug.
 */
export interface StateChangeEvent extends StateEntryView {
  mesh: string;
}

/** A member's shared context (protocol.md §6.7), decrypted. */
export interface ContextView {
  peer_name: string;
  summary: string;
  files_read: string[];
  key_findings: string[];
  tags: string[];
  updated_at: string;
}

/** A memory as `recall` answers it (protocol.md §6.2), its content decrypted. */
export interface MemoryView {
  id: string;
  content: string;
  tags: string[];
  remembered_by: string;
  /** ISO-8601. */
  remembered_at: string;
}

/** A skill as `skill list` shows it (protocol.md §6.8). */
export interface SkillView {
  name: string;
  description: string;
  tags: string[];
  author: string;
  /** ISO-8601: when this version was shared. */
  created_at: string;
}

/** A skill with its instructions decrypted (and the sharer's manifest, when there is one). */
export interface SkillDetailView extends SkillView {
  instructions: string;
  manifest?: Record<string, unknown>;
}
