/**
 * The local API as a function from request to response (testable in-process, like hono's `app.request`).
 * `server.ts` binds it to the unix socket (and the optional loopback TCP port). Routing is a table of
 * `METHOD /path/:param` → handler; the caller's session comes only from the
 * `Authorization: ClaudeMesh-Session <hex>` header.
 */
import { z } from "zod";
import { describeZodError } from "../../protocol/index.js";
import {
  ENDPOINTS,
  type EndpointName,
  type EndpointOutput,
  type JsonEndpoint,
} from "../../daemon-api/endpoints.js";
import { SCHEMA_OF, SCHEMAS, type ValidInput } from "../../daemon-api/schemas.js";
import type { Daemon } from "../daemon.js";
import type { Viewer } from "../inbox/store.js";
import type { LiveSession } from "../sessions/registry.js";
import { LocalError } from "./errors.js";

export type Headers = Record<string, string | string[] | undefined>;

export interface ApiRequest {
  method: string;
  /** Path and query, e.g. `inbox`. */
  url: string;
  headers: Headers;
  /** The parsed JSON body, or undefined when there was none. */
  body?: unknown;
}

/** Where a server-sent event stream writes. */
export interface SseSink {
  write(chunk: string): void;
  end(): void;
  /** Called once when the client goes away (or `end()` was called). */
  onClose(listener: () => void): void;
}

export type ApiResponse = { status: number; body: unknown } | { status: 200; sse: (sink: SseSink) => void };

/** Who is calling: a launched session (by its token) or the member / an ambient caller. */
export interface Caller {
  session: LiveSession | null;
  viewer: Viewer;
}

export interface RouteContext {
  daemon: Daemon;
  caller: Caller;
  headers: Headers;
  /** Asks the process to shut down after the response is written. */
  requestShutdown: () => void;
}

/** The daemon's implementation of one JSON endpoint: validated input in, the endpoint's output back. */
export type Implementation<K extends JsonEndpoint> = (
  ctx: RouteContext,
  input: ValidInput<K>,
) => Promise<EndpointOutput<K>> | EndpointOutput<K>;

/** One implementation per JSON endpoint; a missing one is a compile error. */
export type Implementations = { [K in JsonEndpoint]: Implementation<K> };

/** The event stream's handler (it answers a stream, not JSON). */
export type StreamHandler = (ctx: RouteContext, input: ValidInput<"events">) => ApiResponse;

interface CompiledRoute {
  name: EndpointName;
  method: string;
  pattern: RegExp;
  names: string[];
  run: (ctx: RouteContext, input: unknown) => Promise<ApiResponse>;
}

export interface DaemonApp {
  handle(req: ApiRequest): Promise<ApiResponse>;
  /** Convenience for tests and tools: a JSON request in, `{status, body}` out. */
  request(
    method: string,
    url: string,
    init?: { headers?: Headers; body?: unknown },
  ): Promise<{ status: number; body: unknown }>;
}

export const SESSION_AUTH_SCHEME = "ClaudeMesh-Session";

/** Status codes other than 200 that an endpoint answers on success. */
const SUCCESS_STATUS: Partial<Record<EndpointName, number>> = { registerSession: 201, send: 202 };

export function createApp(
  daemon: Daemon,
  routes: { implementations: Implementations; events: StreamHandler },
  requestShutdown: () => void,
): DaemonApp {
  const compiled = (Object.keys(ENDPOINTS) as EndpointName[]).map((name) =>
    compile(name, routes, (output) => ({ status: SUCCESS_STATUS[name] ?? 200, body: output })),
  );

  async function handle(req: ApiRequest): Promise<ApiResponse> {
    try {
      const url = new URL(req.url, "http://localhost");
      const path = url.pathname.replace(/\/+$/, "") || "/";
      let pathMatched = false;
      for (const route of compiled) {
        const match = route.pattern.exec(path);
        if (match === null) continue;
        pathMatched = true;
        if (route.method !== req.method.toUpperCase()) continue;
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          params[name] = decodeURIComponent(match[i + 1] ?? "");
        });
        const fields = route.method === "POST" ? bodyObject(req.body) : Object.fromEntries(url.searchParams);
        const caller = resolveCaller(daemon, req.headers);
        return await route.run(
          { daemon, caller, headers: req.headers, requestShutdown },
          { ...fields, ...params },
        );
      }
      if (pathMatched) throw new LocalError("method_not_allowed", `${req.method} is not allowed on ${path}`);
      throw new LocalError(
        "not_found",
        `no route ${req.method} ${path}`,
        "see src/daemon-api/endpoints.ts for the routes",
      );
    } catch (error) {
      return errorResponse(daemon.oneShot ? forOneShot(error) : error);
    }
  }

  return {
    handle,
    async request(method, url, init = {}) {
      const response = await handle({ method, url, headers: init.headers ?? {}, body: init.body });
      if ("sse" in response) throw new Error(`${url} is an event stream; use handle()`);
      return response;
    },
  };
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body === "object" && !Array.isArray(body)) return { ...body };
  throw new LocalError("invalid_request", "the body must be a JSON object", "send {…}");
}

function compile(
  name: EndpointName,
  routes: { implementations: Implementations; events: StreamHandler },
  answer: (output: unknown) => ApiResponse,
): CompiledRoute {
  const { method, path } = ENDPOINTS[name];
  const names: string[] = [];
  const source = path
    .split("/")
    .map((part) => {
      if (!part.startsWith(":")) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(part.slice(1));
      return "([^/]+)";
    })
    .join("/");
  const run = async (ctx: RouteContext, raw: unknown): Promise<ApiResponse> => {
    if (name === "events") return routes.events(ctx, parseInput(SCHEMAS.events, raw));
    return answer(await implement(name, routes.implementations, ctx, raw));
  };
  return { name, method, pattern: new RegExp(`^${source}$`), names, run };
}

/** Validates the input of `name` and runs its implementation. */
function implement<K extends JsonEndpoint>(
  name: K,
  implementations: Implementations,
  ctx: RouteContext,
  raw: unknown,
): Promise<EndpointOutput<K>> | EndpointOutput<K> {
  const implementation: Implementation<K> = implementations[name];
  return implementation(ctx, parseInput(SCHEMA_OF[name], raw));
}

/** The session named by the header, or none; an unknown token is refused rather than widened to the member. */
function resolveCaller(daemon: Daemon, headers: Headers): Caller {
  const header = headerValue(headers, "authorization");
  if (header === undefined) return { session: null, viewer: { session: null } };
  const [scheme, token] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() !== SESSION_AUTH_SCHEME.toLowerCase()) {
    // Bearer is the TCP listener's local token, checked by the server; it names no session.
    return { session: null, viewer: { session: null } };
  }
  const session =
    token !== undefined && /^[0-9a-fA-F]{64}$/.test(token) ? daemon.sessions.byToken(token) : null;
  if (session === null) {
    throw new LocalError(
      "invalid_session_token",
      "the session token is not known to this daemon (the session ended or was never registered)",
      "relaunch the session with `claudemesh launch`, or unset CLAUDEMESH_IPC_TOKEN_FILE",
    );
  }
  return {
    session,
    viewer: {
      session: {
        pubkey: session.pubkey,
        meshId: session.mesh_id,
        registeredMs: Date.parse(session.registered_at),
      },
    },
  };
}

export function headerValue(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** A daemon run for one command (`--no-daemon`) does not keep reconnecting: its hint says so. */
function forOneShot(error: unknown): unknown {
  if (!(error instanceof LocalError) || error.code !== "broker_unreachable") return error;
  return new LocalError(
    error.code,
    error.message,
    "check that the broker runs (`claudemesh doctor`), then retry",
    error.candidates,
    error.extra,
  );
}

export function errorResponse(error: unknown): { status: number; body: unknown } {
  if (error instanceof LocalError) return { status: error.status, body: error.toBody() };
  return {
    status: 500,
    body: { error: "internal", message: error instanceof Error ? error.message : String(error) },
  };
}

/** Validates a JSON body (or query object) against `schema`; a mismatch is 400 `invalid_request`. */
export function parseInput<T, I>(schema: z.ZodType<T, I>, input: unknown): T {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) throw new LocalError("invalid_request", describeInputError(parsed.error));
  return parsed.data;
}

/**
 * The first problem of a request in words a person can act on: which field (`tags[0]`), and the limit it
 * broke, as the schema states it (`tags[0] is too long: at most 64 characters`).
 */
export function describeInputError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid request";
  const field =
    issue.path.length === 0
      ? "the request"
      : issue.path
          .map((part, i) =>
            typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
          )
          .join("");
  if (issue.code === "too_big" || issue.code === "too_small") {
    const big = issue.code === "too_big";
    const limit = Number(big ? issue.maximum : issue.minimum);
    const bound = `${big ? "at most" : "at least"} ${limit.toLocaleString("en-US")}`;
    if (issue.origin === "string") {
      if (!big && limit === 1) return `${field} is empty`;
      return `${field} is too ${big ? "long" : "short"}: ${bound} characters`;
    }
    if (issue.origin === "array" || issue.origin === "set") {
      return `${field} has too ${big ? "many" : "few"} items: ${bound}`;
    }
    return `${field} must be ${bound}`;
  }
  return describeZodError(error);
}
