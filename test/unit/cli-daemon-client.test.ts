/**
 * The daemon client and the lifecycle helper against a small fake daemon on a temp unix socket: JSON
 * requests, error bodies, the session token, the SSE reader with Last-Event-ID, ensureDaemon's
 * decisions (running, not running, unusable dir, recent failure), and a send repeated after the daemon
 * went away mid-request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DaemonApiError, DaemonClient, DaemonUnavailableError } from "../../src/daemon-api/client.js";
import { followEvents, type DaemonEvent } from "../../src/daemon-api/events.js";
import { DaemonLifecycleError, ensureDaemon, stopDaemon } from "../../src/daemon-api/lifecycle.js";
import { sendOnce } from "../../src/daemon-api/send.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let dir: string;
let socket: string;
let server: Server | null = null;
const savedEnv = { ...process.env };

function listen(handler: Handler): Promise<void> {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => handler(req, res, body));
  });
  return new Promise((resolve) => server?.listen(socket, resolve));
}

/**
 * A daemon whose event stream sends `first` and ends (it went away; with `crash`, mid-response), then
 * answers every resumed stream with `resumed(Last-Event-ID)`. Returns the Last-Event-ID of each request,
 * in order.
 */
async function eventStreams(
  first: string,
  resumed: (last: string) => string,
  crash = false,
): Promise<Array<string | undefined>> {
  const lastIds: Array<string | undefined> = [];
  await listen((req, res) => {
    const last = req.headers["last-event-id"];
    lastIds.push(typeof last === "string" ? last : undefined);
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    if (typeof last === "string") res.write(resumed(last));
    else if (crash) res.write(first, () => res.socket?.destroy());
    else res.end(first);
  });
  return lastIds;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cm-dc-"));
  socket = join(dir, "daemon.sock");
  process.env.CLAUDEMESH_CONFIG_DIR = dir;
  process.env.CLAUDEMESH_DAEMON_DIR = dir;
  delete process.env.CLAUDEMESH_IPC_TOKEN_FILE;
});

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
  process.env = { ...savedEnv };
  rmSync(dir, { recursive: true, force: true });
});

describe("DaemonClient", () => {
  it("sends JSON with the session token from CLAUDEMESH_IPC_TOKEN_FILE and parses the reply", async () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "ab12\n");
    process.env.CLAUDEMESH_IPC_TOKEN_FILE = tokenFile;
    const seen: Array<{ method?: string; url?: string; auth?: string; body: string }> = [];
    await listen((req, res, body) => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      send(res, 202, {
        message_id: "m1",
        broker_message_id: null,
        status: "queued",
        recipient_online: false,
      });
    });
    const client = new DaemonClient({ socketPath: socket });
    const reply = await client.call("send", { to: "bob", message: "hi", wait_ms: 10 });
    expect(reply).toMatchObject({ message_id: "m1", status: "queued" });
    await client.call("peers", { mesh: "team", all: true });
    expect(seen[0]).toEqual({
      method: "POST",
      url: "/v1/send",
      auth: "ClaudeMesh-Session ab12",
      body: JSON.stringify({ to: "bob", message: "hi", wait_ms: 10 }),
    });
    expect(seen[1]?.url).toBe("/v1/peers?mesh=team&all=1");
    expect(new DaemonClient({ socketPath: socket, token: null }).token).toBeNull();
  });

  it("sendOnce repeats a send the daemon dropped mid-request, with the same client message id", async () => {
    const sends: Array<Record<string, unknown>> = [];
    await listen((req, res, body) => {
      if (req.url === "/v1/version") return send(res, 200, { version: "t", api: 1, pid: 1 });
      sends.push(JSON.parse(body) as Record<string, unknown>);
      // The first time, the daemon dies before it answers (it may have committed the message).
      if (sends.length === 1) return void req.socket.destroy();
      send(res, 200, {
        message_id: String(sends[0]?.client_message_id),
        broker_message_id: "b",
        status: "sent",
        recipient_online: true,
      });
    });
    const reply = await sendOnce(new DaemonClient({ socketPath: socket }), { to: "bob", message: "hi" });
    expect(sends).toHaveLength(2);
    expect(sends[0]?.client_message_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(sends[1]).toEqual(sends[0]);
    expect(reply).toMatchObject({ message_id: sends[0]?.client_message_id, status: "sent" });
  });

  it("sendOnce keeps a caller's client message id and passes other errors through", async () => {
    await listen((_req, res, body) => {
      const { client_message_id: id } = JSON.parse(body) as { client_message_id: string };
      send(res, 409, {
        error: "idempotency_key_reused",
        message: `client_message_id "${id}" was already used`,
      });
    });
    const failed = await sendOnce(new DaemonClient({ socketPath: socket }), {
      to: "bob",
      message: "hi",
      client_message_id: "mine-1",
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DaemonApiError);
    expect((failed as DaemonApiError).message).toContain("mine-1");
  });

  it("turns an error body into DaemonApiError with code, hint and candidates", async () => {
    await listen((_req, res) =>
      send(res, 404, {
        error: "unknown_target",
        message: "nobody called bobb",
        hint: "check the name",
        candidates: [
          { display_name: "bob", pubkey: "aa", session_pubkey: null, kind: "member", online: true },
        ],
      }),
    );
    const error = await new DaemonClient({ socketPath: socket })
      .call("send", { to: "bobb", message: "x" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(DaemonApiError);
    expect(error).toMatchObject({ status: 404, code: "unknown_target", hint: "check the name" });
    expect((error as DaemonApiError).candidates?.[0]?.display_name).toBe("bob");
  });

  it("reports a missing socket and a stale socket file as DaemonUnavailableError", async () => {
    const missing = await new DaemonClient({ socketPath: socket }).call("version", {}).catch((e) => e);
    expect(missing).toBeInstanceOf(DaemonUnavailableError);
    expect(missing).toMatchObject({ code: "daemon_unavailable", reason: "ENOENT" });
    writeFileSync(socket, "");
    const stale = await new DaemonClient({ socketPath: socket }).call("version", {}).catch((e) => e);
    expect(stale).toBeInstanceOf(DaemonUnavailableError);
  });

  it("reads server-sent events (multi-line data, comments) and resumes with Last-Event-ID", async () => {
    const lastIds = await eventStreams(
      ": connected\n\n" +
        'id: 1\nevent: peer_join\ndata: {"display_name":\ndata: "bob"}\n\n' +
        "id: 2\r\nevent: system\r\ndata: plain text\r\n\r\n",
      (last) => `id: 3\nevent: message\ndata: {"after":"${last}"}\n\n`,
    );
    const controller = new AbortController();
    const events: DaemonEvent[] = [];
    let opens = 0;
    for await (const event of followEvents(new DaemonClient({ socketPath: socket }), {
      signal: controller.signal,
      retryMs: 10,
      onOpen: () => {
        opens += 1;
      },
    })) {
      events.push(event);
      if (events.length === 3) controller.abort();
    }
    expect(events).toEqual([
      { id: "1", event: "peer_join", data: { display_name: "bob" } },
      { id: "2", event: "system", data: "plain text" },
      { id: "3", event: "message", data: { after: "2" } },
    ]);
    expect(lastIds).toEqual([undefined, "2"]);
    expect(opens).toBe(2);
  });

  it("resumes from a position block (an id without data) that is not an event", async () => {
    const lastIds = await eventStreams(
      ": connected\n\nid: 41\n\n",
      (last) => `id: 42\nevent: message\ndata: {"after":"${last}"}\n\n`,
    );
    const controller = new AbortController();
    const events: DaemonEvent[] = [];
    for await (const event of followEvents(new DaemonClient({ socketPath: socket }), {
      signal: controller.signal,
      retryMs: 10,
    })) {
      events.push(event);
      controller.abort();
    }
    expect(events).toEqual([{ id: "42", event: "message", data: { after: "41" } }]);
    expect(lastIds).toEqual([undefined, "41"]);
  });

  it("keeps the position it received when the daemon dies while the stream's onOpen still runs", async () => {
    const lastIds = await eventStreams(
      ": connected\n\nid: 41\n\n",
      (last) => `id: 42\nevent: message\ndata: {"after":"${last}"}\n\n`,
      true,
    );
    // The first stream's response, to wait in onOpen until the daemon's death has reached it.
    const responses: IncomingMessage[] = [];
    const client = new DaemonClient({ socketPath: socket });
    const open = client.stream.bind(client);
    client.stream = async (options) => {
      const res = await open(options);
      responses.push(res);
      return res;
    };
    const controller = new AbortController();
    const events: DaemonEvent[] = [];
    for await (const event of followEvents(client, {
      signal: controller.signal,
      retryMs: 10,
      onOpen: async (resumed) => {
        const res = responses.at(-1);
        if (!resumed && res && !res.destroyed) await new Promise((done) => res.once("close", done));
      },
    })) {
      events.push(event);
      controller.abort();
    }
    expect(events).toEqual([{ id: "42", event: "message", data: { after: "41" } }]);
    expect(lastIds).toEqual([undefined, "41"]);
  });
});

describe("ensureDaemon", () => {
  it("returns a client when the daemon answers", async () => {
    await listen((_req, res) => send(res, 200, { version: "0.1.0", api: 1, pid: 4242, features: [] }));
    const client = await ensureDaemon({ spawn: false });
    expect((await client.call("version", {})).pid).toBe(4242);
  });

  it("says how to start it when it is not running and spawning is off", async () => {
    const error = await ensureDaemon({ spawn: false }).catch((e) => e);
    expect(error).toBeInstanceOf(DaemonLifecycleError);
    expect(error).toMatchObject({ code: "daemon_not_running", hint: "start it with `claudemesh daemon up`" });
  });

  it("fails fast, with the log tail, after a start failed less than 30 s ago", async () => {
    writeFileSync(join(dir, "spawn-failed"), "it exited with code 1\n");
    writeFileSync(join(dir, "daemon.log"), "first\nboom: config invalid\n");
    let started = false;
    const error = await ensureDaemon({ spawn: true, onStart: () => (started = true) }).catch((e) => e);
    expect(started).toBe(false);
    expect(error).toMatchObject({ code: "daemon_spawn_failed", logTail: "first\nboom: config invalid" });
    expect((error as Error).message).toMatch(/less than 30 s ago: it exited with code 1/);
  });

  it("refuses an unusable daemon dir with the fix", async () => {
    const file = join(dir, "file");
    writeFileSync(file, "");
    process.env.CLAUDEMESH_DAEMON_DIR = join(file, "daemon");
    const error = await ensureDaemon({ spawn: true }).catch((e) => e);
    expect(error).toMatchObject({ code: "daemon_dir_unusable" });
    expect((error as DaemonLifecycleError).hint).toMatch(/CLAUDEMESH_DAEMON_DIR/);
  });

  it("stopDaemon says when nothing was running", async () => {
    expect(await stopDaemon()).toEqual({ wasRunning: false, pid: null });
    expect(existsSync(socket)).toBe(false);
  });
});
