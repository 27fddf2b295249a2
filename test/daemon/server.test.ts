import { statSync, writeFileSync } from "node:fs";
import { request, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeServer, createIpcServer, listenTcp, listenUnix } from "../../src/daemon/ipc/server.js";
import { silentLogger } from "../../src/daemon/logger.js";
import { startHarness, type Harness } from "./fake-broker.js";

let h: Harness;
const servers: Server[] = [];

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => closeServer(s)));
  await h.close();
});

type Target = { socketPath: string } | { port: number };

function call(
  target: Target,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const base =
      "socketPath" in target ? { socketPath: target.socketPath } : { host: "127.0.0.1", port: target.port };
    const req = request({ ...base, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: text === "" ? {} : JSON.parse(text),
          headers: res.headers,
        }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function unixServer(): Promise<string> {
  const server = createIpcServer({ app: h.app, logger: silentLogger() });
  servers.push(server);
  const path = join(h.dir, "daemon.sock");
  await listenUnix(server, path);
  return path;
}

describe("unix socket transport", () => {
  it("listens with mode 0600 and serves the API", async () => {
    const path = await unixServer();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const res = await call({ socketPath: path }, "GET", "/v1/version");
    expect(res).toMatchObject({ status: 200, body: { api: 1 } });
  });

  it("replaces a stale socket file but refuses to take a live one", async () => {
    const path = join(h.dir, "daemon.sock");
    writeFileSync(path, "stale");
    const server = createIpcServer({ app: h.app, logger: silentLogger() });
    servers.push(server);
    await listenUnix(server, path);
    expect((await call({ socketPath: path }, "GET", "/v1/health")).status).toBe(200);

    const second = createIpcServer({ app: h.app, logger: silentLogger() });
    await expect(listenUnix(second, path)).rejects.toThrow(/another daemon answers/);
  });

  it("answers bad JSON and oversized bodies with specific errors", async () => {
    const path = await unixServer();
    const bad = await call(
      { socketPath: path },
      "POST",
      "/v1/send",
      { "content-type": "application/json" },
      "{nope",
    );
    expect(bad).toMatchObject({ status: 400, body: { error: "invalid_json" } });
    const big = await call(
      { socketPath: path },
      "POST",
      "/v1/send",
      {},
      JSON.stringify({ message: "x".repeat(70_000) }),
    );
    expect(big).toMatchObject({ status: 413, body: { error: "too_large" } });
  });

  it("refuses a body nested 30,000 deep with a validation error, and goes on serving", async () => {
    const path = await unixServer();
    // Under the body limit, but far deeper than anything that handles the value could recurse into.
    const value = `${"[".repeat(30_000)}${"]".repeat(30_000)}`;
    const deep = await call({ socketPath: path }, "POST", "/v1/state", {}, `{"key":"k","value":${value}}`);
    expect(deep).toMatchObject({
      status: 400,
      body: { error: "invalid", message: expect.stringMatching(/nested deeper than \d+ levels/) },
    });
    expect((await call({ socketPath: path }, "GET", "/v1/health")).status).toBe(200);
  });

  it("streams events with the SSE content type", async () => {
    const path = await unixServer();
    const first = await new Promise<string>((resolve, reject) => {
      const req = request(
        { socketPath: path, path: "/v1/events", headers: { accept: "text/event-stream" } },
        (res) => {
          expect(res.headers["content-type"]).toContain("text/event-stream");
          res.setEncoding("utf8");
          res.once("data", (chunk: string) => {
            resolve(chunk);
            req.destroy();
          });
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(first).toContain(": connected");
  });
});

describe("loopback TCP transport", () => {
  const token = "a1".repeat(32);
  async function tcpServer(): Promise<number> {
    const server = createIpcServer({ app: h.app, logger: silentLogger(), bearerToken: token });
    servers.push(server);
    return listenTcp(server, 0);
  }

  it("requires the local bearer token", async () => {
    const port = await tcpServer();
    expect((await call({ port }, "GET", "/v1/version")).status).toBe(401);
    expect(
      (await call({ port }, "GET", "/v1/version", { authorization: `Bearer ${"b2".repeat(32)}` })).status,
    ).toBe(401);
    expect((await call({ port }, "GET", "/v1/version", { authorization: `Bearer ${token}` })).status).toBe(
      200,
    );
  });

  it("refuses requests with an Origin header or a non-loopback Host", async () => {
    const port = await tcpServer();
    const auth = { authorization: `Bearer ${token}` };
    expect(
      await call({ port }, "GET", "/v1/version", { ...auth, origin: "http://evil.example" }),
    ).toMatchObject({
      status: 403,
      body: { error: "origin_refused" },
    });
    expect(
      await call({ port }, "GET", "/v1/version", { ...auth, host: `evil.example:${port}` }),
    ).toMatchObject({
      status: 403,
      body: { error: "host_refused" },
    });
    expect((await call({ port }, "GET", "/v1/version", { ...auth, host: `localhost:${port}` })).status).toBe(
      200,
    );
  });

  it("a port in use is reported, not ignored", async () => {
    const blocker = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const address = blocker.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const server = createIpcServer({ app: h.app, logger: silentLogger(), bearerToken: token });
    await expect(listenTcp(server, port)).rejects.toThrow(/EADDRINUSE/);
    await new Promise<void>((r) => blocker.close(() => r()));
  });
});
