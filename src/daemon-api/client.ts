/**
 * A small typed client of the daemon's local API (HTTP over the unix socket; the shapes are in
 * `contract.ts`). Used by the CLI, the MCP server and the hooks; it owns no state beyond the socket path and the
 * optional session token. The event stream's reader is events.ts.
 */
import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { ApiError, TargetCandidate } from "./contract.js";
import {
  DEFAULT_WAIT_MS,
  ENDPOINTS,
  type EndpointDef,
  type EndpointOutput,
  type JsonEndpoint,
} from "./endpoints.js";
import type { EndpointInput } from "./schemas.js";
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
  /**
   * Answers requests in this process instead of over the socket (a daemon run in-process for one
   * command: `--no-daemon`). It has no event stream.
   */
  transport?: InProcessTransport;
  /** The event stream of a daemon run in this process (with {@link transport}). */
  streamTransport?: InProcessStream;
}

/** A daemon answering in this process: a request in, `{status, body}` out. */
export type InProcessTransport = (request: {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}) => Promise<{ status: number; body: unknown }>;

/** A daemon answering in this process: opens its event stream (a readable of SSE text). */
export type InProcessStream = (request: {
  url: string;
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
}) => Promise<IncomingMessage>;

type Query = Record<string, string | number | boolean | undefined | null>;

/** No daemon at the socket, or (ECONNRESET, EPIPE) it went away in the middle of a request. */
const UNAVAILABLE_CODES = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "ENOTSOCK",
  "EACCES",
  "EPERM",
  "ENOTDIR",
  "ECONNRESET",
  "EPIPE",
]);

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

/** The fields that can travel in a query string (nested values never do in this API). */
function queryOf(fields: Record<string, unknown>): Query {
  const query: Query = {};
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      query[key] = value;
  }
  return query;
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
  readonly #transport: InProcessTransport | undefined;
  readonly #streamTransport: InProcessStream | undefined;

  constructor(options: DaemonClientOptions = {}) {
    this.socketPath = options.socketPath ?? daemonFiles.socket();
    this.token = options.token === undefined ? sessionTokenFromEnv() : options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#transport = options.transport;
    this.#streamTransport = options.streamTransport;
  }

  /** Whether this client talks to a daemon run in this process (no event stream, nothing kept after). */
  get inProcess(): boolean {
    return this.#transport !== undefined;
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
    if (this.#transport !== undefined) {
      return this.#transport({ method, url: path, headers, body }).then(({ status, body: answer }) => {
        if (status >= 200 && status < 300) return answer as T;
        throw new DaemonApiError(status, (answer ?? {}) as Partial<ApiError>);
      });
    }
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

  /**
   * Calls endpoint `name` of src/daemon-api/endpoints.ts: path parameters from the input fields of the same
   * name, the rest as the query (GET, DELETE) or the JSON body (POST).
   */
  call<K extends JsonEndpoint>(
    name: K,
    input: EndpointInput<K>,
    options: { timeoutMs?: number } = {},
  ): Promise<EndpointOutput<K>> {
    const endpoint: EndpointDef = ENDPOINTS[name];
    const { method, path } = endpoint;
    const fields: Record<string, unknown> = { ...input };
    const url = path.replace(/:(\w+)/g, (_, key: string) => {
      const value = fields[key];
      delete fields[key];
      return encodeURIComponent(String(value));
    });
    // An endpoint that may wait before answering (send, for the broker's ack) gets that much longer.
    const waited = endpoint.waits === undefined ? undefined : fields[endpoint.waits];
    const timeoutMs =
      options.timeoutMs ??
      (endpoint.waits === undefined
        ? undefined
        : (typeof waited === "number" ? waited : DEFAULT_WAIT_MS) + this.#timeoutMs);
    if (method === "POST") return this.request(method, url, fields, { timeoutMs });
    return this.request(method, withQuery(url, queryOf(fields)), undefined, { timeoutMs });
  }

  /**
   * Opens a long-lived `GET` (no timeout; `signal` ends it) and resolves with the response once it is 2xx:
   * the transport of the event stream (events.ts). Rejects with {@link DaemonUnavailableError} when
   * it cannot connect, with {@link DaemonApiError} on an error status.
   */
  async stream(
    options: { query?: Query; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<IncomingMessage> {
    const { path } = ENDPOINTS.events;
    if (this.#streamTransport !== undefined) {
      return this.#streamTransport({
        url: withQuery(path, options.query),
        headers: this.#headers(options.headers),
        signal: options.signal,
      });
    }
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
