/**
 * A small typed client of the daemon's local API (HTTP over the unix socket; the shapes are in
 * `contract.ts`). Used by the CLI, the MCP server and the hooks; it owns no state beyond the socket path and the
 * optional session token. The event stream's reader is events.ts.
 */
import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import type {
  ApiError,
  HealthResponse,
  InboxResponse,
  LaneActivity,
  MemberView,
  MessageStatusResponse,
  OutboxItem,
  OutboxStatus,
  PeersResponse,
  RegisterSessionRequest,
  RegisterSessionResponse,
  RequeueRequest,
  SendRequest,
  SendResponse,
  SessionInfo,
  ReserveRequest,
  StatusRequest,
  StatusResponse,
  StatusView,
  SurfacedRequest,
  SurfacedResponse,
  TargetCandidate,
  VersionResponse,
} from "./contract.js";
import { daemonFiles } from "../host/paths.js";

/** The socket is missing or nothing listens on it (the daemon is not running). */
export class DaemonUnavailableError extends Error {
  override readonly name = "DaemonUnavailableError";
  readonly code = "daemon_unavailable";
  constructor(
    readonly socketPath: string,
    /** The system error code (`ENOENT`, `ECONNREFUSED`, …) or `timeout`. */
    readonly reason: string,
  ) {
    super(`the claudemesh daemon is not reachable at ${socketPath} (${reason})`);
  }
}

/** The daemon answered with an error status (body `{error, message, hint?, candidates?}`). */
export class DaemonApiError extends Error {
  override readonly name = "DaemonApiError";
  readonly code: string;
  readonly hint: string | undefined;
  readonly candidates: TargetCandidate[] | undefined;
  constructor(
    readonly status: number,
    body: Partial<ApiError>,
  ) {
    super(body.message ?? `daemon answered HTTP ${status}`);
    this.code = body.error ?? `http_${status}`;
    this.hint = body.hint;
    this.candidates = body.candidates;
  }
}

export interface DaemonClientOptions {
  /**
   * Path of the daemon's unix socket.
   * @default `<daemon dir>/daemon.sock`
   */
  socketPath?: string;
  /**
   * Session token sent as `Authorization: ClaudeMesh-Session <token>`; `null` sends none.
   * @default the content of the file named by `CLAUDEMESH_IPC_TOKEN_FILE`, if set and readable
   */
  token?: string | null;
  /**
   * Per-request timeout in ms (the event stream has none).
   * @default 10000
   */
  timeoutMs?: number;
}

interface ModerationResult {
  ok: boolean;
  mesh: string;
}

type Query = Record<string, string | number | boolean | undefined | null>;

const UNAVAILABLE_CODES = new Set(["ENOENT", "ECONNREFUSED", "ENOTSOCK", "EACCES", "EPERM", "ENOTDIR"]);

/** The session token named by `CLAUDEMESH_IPC_TOKEN_FILE`, or null. */
export function sessionTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const file = env.CLAUDEMESH_IPC_TOKEN_FILE;
  if (!file) return null;
  try {
    const token = readFileSync(file, "utf8").trim();
    return token === "" ? null : token;
  } catch {
    // The launcher removes the file when its session ends; without it the caller acts as the member.
    return null;
  }
}

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === false) continue;
    params.set(key, value === true ? "1" : String(value));
  }
  const text = params.toString();
  return text === "" ? path : `${path}?${text}`;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return { error: "invalid_reply", message: `daemon sent a non-JSON reply: ${text.slice(0, 200)}` };
  }
}

export class DaemonClient {
  readonly socketPath: string;
  readonly token: string | null;
  readonly #timeoutMs: number;

  constructor(options: DaemonClientOptions = {}) {
    this.socketPath = options.socketPath ?? daemonFiles.socket();
    this.token = options.token === undefined ? sessionTokenFromEnv() : options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { Host: "localhost", ...extra };
    if (this.token) headers.Authorization = `ClaudeMesh-Session ${this.token}`;
    return headers;
  }

  #unavailable(err: NodeJS.ErrnoException): Error {
    if (err.code && UNAVAILABLE_CODES.has(err.code))
      return new DaemonUnavailableError(this.socketPath, err.code);
    return err;
  }

  /** One JSON request. Resolves with the parsed body on 2xx; rejects with {@link DaemonApiError} otherwise. */
  request<T>(method: string, path: string, body?: unknown, options: { timeoutMs?: number } = {}): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = this.#headers(
      payload === undefined
        ? {}
        : { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(payload)) },
    );
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const req = httpRequest({ socketPath: this.socketPath, method, path, headers }, (res) => {
        readBody(res).then((text) => {
          const parsed = parseJson(text);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed as T);
          else reject(new DaemonApiError(status, (parsed ?? {}) as Partial<ApiError>));
        }, reject);
      });
      req.setTimeout(timeoutMs, () => {
        req.destroy(new DaemonUnavailableError(this.socketPath, "timeout"));
      });
      req.on("error", (err: NodeJS.ErrnoException) => reject(this.#unavailable(err)));
      req.end(payload);
    });
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", withQuery(path, query));
  }

  post<T>(path: string, body: unknown = {}, options?: { timeoutMs?: number }): Promise<T> {
    return this.request<T>("POST", path, body, options);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }

  version(): Promise<VersionResponse> {
    return this.get("/v1/version");
  }

  health(): Promise<HealthResponse> {
    return this.get("/v1/health");
  }

  peers(query: { mesh?: string; all?: boolean } = {}): Promise<PeersResponse> {
    return this.get("/v1/peers", query);
  }

  members(query: { mesh?: string } = {}): Promise<{ members: MemberView[] }> {
    return this.get("/v1/members", query);
  }

  /** Accepts a send; waits up to `wait_ms` (+ margin) for the broker's ack. */
  send(req: SendRequest): Promise<SendResponse> {
    return this.post("/v1/send", req, { timeoutMs: (req.wait_ms ?? 2_000) + this.#timeoutMs });
  }

  inbox(
    query: { mesh?: string; unread?: boolean; since?: string; limit?: number; scope?: "lane" | "read" } = {},
  ): Promise<InboxResponse> {
    return this.get("/v1/inbox", query);
  }

  /** `marked` counts the new marks: 0 means another lane showed the message already. */
  markSurfaced(req: SurfacedRequest): Promise<SurfacedResponse> {
    return this.post("/v1/inbox/surfaced", req);
  }

  outbox(query: { status?: OutboxStatus; mesh?: string } = {}): Promise<{ items: OutboxItem[] }> {
    return this.get("/v1/outbox", query);
  }

  requeue(req: RequeueRequest): Promise<{ ok: boolean }> {
    return this.post("/v1/outbox/requeue", req);
  }

  messageStatus(id: string, query: { mesh?: string } = {}): Promise<MessageStatusResponse> {
    return this.get(`/v1/messages/${encodeURIComponent(id)}/status`, query);
  }

  setStatus(req: StatusRequest): Promise<StatusResponse> {
    return this.post("/v1/status", req);
  }

  status(query: { mesh?: string } = {}): Promise<StatusView> {
    return this.get("/v1/status", query);
  }

  laneActivity(): Promise<LaneActivity> {
    return this.get("/v1/inbox/lanes");
  }

  /** Reserves messages a lane is about to show; resolves with the ids it may show. */
  reserve(req: ReserveRequest): Promise<{ reserved: string[] }> {
    return this.post("/v1/inbox/reserve", req);
  }

  setSummary(req: { summary: string; mesh?: string }): Promise<{ ok: boolean }> {
    return this.post("/v1/summary", req);
  }

  joinGroup(req: { name: string; role?: string; mesh?: string }): Promise<{ ok: boolean }> {
    return this.post("/v1/groups/join", req);
  }

  leaveGroup(req: { name: string; mesh?: string }): Promise<{ ok: boolean }> {
    return this.post("/v1/groups/leave", req);
  }

  /** Tells the daemon to re-read the config (after `join`, `mesh create`, `leave`). */
  reloadMeshes(): Promise<{ ok: boolean }> {
    return this.post("/v1/meshes/reload", {});
  }

  /** Own groups per mesh (of this session, or of the daemon's member connection). */
  groups(
    query: { mesh?: string } = {},
  ): Promise<{ groups: Array<{ mesh: string; name: string; role: string | null }> }> {
    return this.get("/v1/groups", query);
  }

  kick(req: {
    target: string;
    mesh?: string;
  }): Promise<ModerationResult & { kicked: string[]; affected: string[]; skipped_control_plane: string[] }> {
    return this.post("/v1/moderation/kick", req);
  }

  ban(req: {
    target: string;
    reason?: string;
    mesh?: string;
  }): Promise<ModerationResult & { banned: string }> {
    return this.post("/v1/moderation/ban", req);
  }

  unban(req: { target: string; mesh?: string }): Promise<ModerationResult & { unbanned: string }> {
    return this.post("/v1/moderation/unban", req);
  }

  /** Revokes this member on the broker (`leave_mesh`); the caller then removes the mesh from the config. */
  leaveMesh(req: { mesh: string }): Promise<ModerationResult & { member_id: string }> {
    return this.post("/v1/meshes/leave", req);
  }

  /** Asks the daemon to stop (it says `bye` on every connection first). */
  shutdown(): Promise<{ ok: boolean }> {
    return this.post("/v1/shutdown", {});
  }

  registerSession(req: RegisterSessionRequest): Promise<RegisterSessionResponse> {
    return this.post("/v1/sessions/register", req);
  }

  deregisterSession(token: string): Promise<{ ok: boolean }> {
    return this.delete(`/v1/sessions/${encodeURIComponent(token)}`);
  }

  sessionsMe(): Promise<SessionInfo> {
    return this.get("/v1/sessions/me");
  }

  sessions(): Promise<{ sessions: SessionInfo[] }> {
    return this.get("/v1/sessions");
  }

  /**
   * Opens a long-lived `GET` (no timeout; `signal` ends it) and resolves with the response once it is 2xx:
   * the transport of the event stream (events.ts). Rejects with {@link DaemonUnavailableError} when
   * it cannot connect, with {@link DaemonApiError} on an error status.
   */
  async stream(
    path: string,
    options: { query?: Query; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<IncomingMessage> {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(
        {
          socketPath: this.socketPath,
          method: "GET",
          path: withQuery(path, options.query),
          headers: this.#headers(options.headers),
          signal: options.signal,
        },
        resolve,
      );
      req.on("error", (err: NodeJS.ErrnoException) => reject(this.#unavailable(err)));
      req.end();
    });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      throw new DaemonApiError(status, parseJson(await readBody(res)) as Partial<ApiError>);
    }
    return res;
  }
}
