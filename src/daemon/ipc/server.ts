/**
 * The local API's transports: node:http over the unix socket (mode 0600), and optionally over 127.0.0.1
 * TCP, where every request needs `Authorization: Bearer <local token>` and requests with an `Origin`
 * header or a non-loopback `Host` are refused (no browser page can reach it).
 */
import { timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import type { Logger } from "pino";
import { privacyProblem } from "../../host/secure-fs.js";
import { JsonTooDeepError, MAX_HTTP_BODY, parseJsonText } from "../../protocol/index.js";
import { errorResponse, headerValue, type ApiResponse, type DaemonApp } from "./app.js";
import { LocalError } from "./errors.js";
import { applyDelay, ipcDelays } from "./test-delay.js";

export interface IpcServerOptions {
  app: DaemonApp;
  logger: Logger;
  /** For the TCP listener: the local token every request must carry as `Bearer`. */
  bearerToken?: string;
  /**
   * For the unix listener: its socket, whose owner and mode are checked on every request (a stat), so a
   * socket loosened while the daemon runs stops answering instead of serving other users.
   */
  socketPath?: string;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export function createIpcServer(options: IpcServerOptions): Server {
  const log = options.logger.child({
    component: "ipc",
    transport: options.bearerToken === undefined ? "unix" : "tcp",
  });
  const delays = ipcDelays();
  const server = createServer((req, res) => {
    serve(req, res, options, delays).catch((error: unknown) => {
      log.error({ err: error instanceof Error ? error.message : String(error) }, "request failed");
      if (!res.headersSent) writeJson(res, errorResponse(error));
      else res.destroy();
    });
  });
  // SSE streams stay open; nothing else should linger.
  server.keepAliveTimeout = 5_000;
  return server;
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  options: IpcServerOptions,
  delays: ReadonlyMap<string, number>,
): Promise<void> {
  if (options.socketPath !== undefined) {
    const problem = privacyProblem(options.socketPath, 0o600);
    if (problem !== null) {
      req.resume();
      writeJson(
        res,
        errorResponse(new LocalError("insecure_permissions", `refused: ${problem.message}`, problem.fix)),
      );
      return;
    }
  }
  if (options.bearerToken !== undefined) {
    const refusal = tcpRefusal(req, options.bearerToken);
    if (refusal !== null) {
      req.resume();
      writeJson(res, errorResponse(refusal));
      return;
    }
  }
  let body: unknown;
  try {
    body = await readJsonBody(req);
  } catch (error) {
    writeJson(res, errorResponse(error));
    return;
  }
  await applyDelay(delays, req.url);
  const response = await options.app.handle({
    method: req.method ?? "GET",
    url: req.url ?? "/",
    headers: req.headers,
    body,
  });
  if ("sse" in response) {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.flushHeaders();
    let closed = false;
    const listeners: Array<() => void> = [];
    const fire = (): void => {
      if (closed) return;
      closed = true;
      for (const listener of listeners) listener();
    };
    res.on("close", fire);
    response.sse({
      write: (chunk) => {
        if (!closed) res.write(chunk);
      },
      end: () => {
        if (!res.writableEnded) res.end();
        fire();
      },
      onClose: (listener) => {
        listeners.push(listener);
      },
    });
    return;
  }
  writeJson(res, response);
}

function writeJson(res: ServerResponse, response: Extract<ApiResponse, { body: unknown }>): void {
  const text = JSON.stringify(response.body);
  res.writeHead(response.status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

function tcpRefusal(req: IncomingMessage, token: string): LocalError | null {
  if (req.headers.origin !== undefined) {
    return new LocalError(
      "origin_refused",
      "requests from web pages are refused",
      "call the API from a local program",
    );
  }
  const host = (req.headers.host ?? "").toLowerCase();
  const hostname = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? "");
  if (!LOOPBACK_HOSTS.has(hostname)) {
    return new LocalError("host_refused", `Host "${host}" is not a loopback name`, "connect to 127.0.0.1");
  }
  const auth = headerValue(req.headers, "authorization") ?? "";
  const presented = /^Bearer\s+(\S+)$/i.exec(auth)?.[1] ?? "";
  if (!safeEqual(presented, token)) {
    return new LocalError(
      "unauthorized",
      "missing or wrong local token",
      "send Authorization: Bearer <daemon dir>/local-token",
    );
  }
  return null;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_HTTP_BODY) {
      throw new LocalError(
        "too_large",
        `the request is over the daemon's limit of ${MAX_HTTP_BODY.toLocaleString("en-US")} bytes`,
        "shorten it; long content goes in a shared file (`claudemesh file share`)",
      );
    }
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return parseJsonText(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    if (error instanceof JsonTooDeepError) {
      throw new LocalError(
        "invalid",
        `the request body is nested deeper than ${error.maxDepth} levels`,
        "flatten the value: objects and arrays may nest at most that deep",
      );
    }
    throw new LocalError("invalid_json", "the request body is not valid JSON", "send a JSON object");
  }
}

/** Whether something accepts connections on the unix socket at `path`. */
export function socketAnswers(path: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (alive: boolean): void => {
      socket.destroy();
      resolve(alive);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Listens on the unix socket at `path`: a socket file nobody answers on is stale and removed first; one
 * that answers belongs to a running daemon and is an error. The socket ends up mode 0600.
 */
export async function listenUnix(server: Server, path: string): Promise<void> {
  if (existsSync(path)) {
    if (await socketAnswers(path)) throw new Error(`another daemon answers on ${path}`);
    rmSync(path, { force: true });
  }
  // The socket is created 0600 (not loosened by the umask and tightened later): no one else can connect in
  // between, and a connection once made is not re-checked by the kernel.
  const umask = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(path, 0o600);
}

/** Listens on 127.0.0.1:`port` (0 picks one); resolves with the port. */
export async function listenTcp(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === "object" && address !== null ? address.port : port;
}

/** Stops accepting, ends open streams, resolves once closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
