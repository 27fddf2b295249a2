/**
 * Operational HTTP routes (protocol.md §7.2; must-never-happen 44, 54): `/health` stays 200 while the
 * database is down and `/health/ready` says 503 (the SQLite adapter's fault file makes `ping()` fail),
 * `/metrics` has the documented names and counts sends, and `/hook/set-status` needs a signature, only
 * touches the signer's own presences, and holds an early status until the presence connects.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signHttpRequest } from "../../src/client/signing.js";
import {
  addMember,
  connectMember,
  createTestMesh,
  httpJson,
  useBroker,
  waitUntil,
  type Frame,
  type RawPeer,
  type TestMember,
  type TestMesh,
} from "../helpers/broker.js";

let mesh: TestMesh;
const faultDir = mkdtempSync(join(tmpdir(), "cm-fault-"));
/** While this file exists, the broker store's ping() fails (CLAUDEMESH_STORE_FAULT_FILE, store/faulty.ts). */
const faultFile = join(faultDir, "store-down");

const broker = useBroker({ env: { CLAUDEMESH_STORE_FAULT_FILE: faultFile } });

beforeAll(async () => {
  mesh = await createTestMesh(broker());
});

afterAll(async () => {
  rmSync(faultDir, { recursive: true, force: true });
});

/** The value of one Prometheus sample line, or 0 when absent. */
function sample(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

describe("health", () => {
  it("/health answers 200 with serverTime", async () => {
    const res = await httpJson(broker(), "GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", db: "up" });
    expect(typeof res.body.version).toBe("string");
    expect(typeof res.body.uptime).toBe("number");
    expect(Math.abs((res.body.serverTime as number) - Date.now())).toBeLessThan(10_000);
  });

  it("/health/ready is 503 db_down while the store fails, /health stays 200, and both recover", async () => {
    expect((await httpJson(broker(), "GET", "/health/ready")).status).toBe(200);
    writeFileSync(faultFile, "down");
    const notReady = await waitUntil(async () => {
      const res = await httpJson(broker(), "GET", "/health/ready");
      return res.status === 503 ? res : undefined;
    });
    expect(notReady.body).toEqual({ status: "not_ready", reason: "db_down" });
    const health = await httpJson(broker(), "GET", "/health");
    expect(health).toMatchObject({ status: 200, body: { status: "ok", db: "down" } });
    const metrics = await httpJson(broker(), "GET", "/metrics");
    expect(sample(metrics.text, "broker_db_healthy")).toBe(0);

    rmSync(faultFile);
    const ready = await waitUntil(async () => {
      const res = await httpJson(broker(), "GET", "/health/ready");
      return res.status === 200 ? res : undefined;
    });
    expect(ready.body).toEqual({ status: "ready" });
  });
});

describe("metrics", () => {
  it("serves the documented metric names as Prometheus text", async () => {
    const res = await httpJson(broker(), "GET", "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4");
    for (const name of [
      "broker_connections_total",
      "broker_connections_rejected_total",
      "broker_connections_active",
      "broker_messages_routed_total",
      "broker_messages_rejected_total",
      "broker_queue_depth",
      "broker_ttl_sweeps_total",
      "broker_hook_requests_total",
      "broker_hook_requests_rate_limited_total",
      "broker_db_healthy",
      "broker_event_loop_delay_seconds",
      "broker_event_loop_delay_max_seconds",
    ]) {
      expect(res.text).toContain(`# TYPE ${name} `);
    }
    // The broker measures its event loop from the start: the quantiles are there at once, in seconds.
    expect(res.text).toMatch(/^broker_event_loop_delay_seconds\{quantile="0\.99"\} \d/m);
    expect(sample(res.text, "broker_event_loop_delay_max_seconds")).toBeLessThan(60);
  });

  it("counts a send by priority, a refused send by reason, and connections", async () => {
    const bob = await addMember(broker(), mesh, "bob");
    const before = (await httpJson(broker(), "GET", "/metrics")).text;
    const peer = await connectMember(broker().url, mesh.meshId, mesh.owner);
    const ack = await peer.sendMessage({ targetSpec: bob.pubkey, priority: "low", ciphertext: "eA==" });
    expect(ack.queued).toBe(true);
    const refused = await peer.sendMessage({ targetSpec: "nobody", ciphertext: "eA==" });
    expect(refused.queued).toBe(false);
    const after = (await httpJson(broker(), "GET", "/metrics")).text;
    const routed = 'broker_messages_routed_total{priority="low"}';
    expect(sample(after, routed) - sample(before, routed)).toBe(1);
    const rejected = 'broker_messages_rejected_total{reason="no_recipient"}';
    expect(sample(after, rejected) - sample(before, rejected)).toBe(1);
    expect(sample(after, "broker_connections_total") - sample(before, "broker_connections_total")).toBe(1);
    expect(sample(after, "broker_connections_active")).toBeGreaterThanOrEqual(1);
  });
});

describe("hook status", () => {
  function postHook(member: TestMember, body: object) {
    const text = JSON.stringify(body);
    const signed = signHttpRequest({
      method: "POST",
      target: "/hook/set-status",
      meshId: mesh.meshId,
      pubkey: member.pubkey,
      secretKey: member.secretKey,
      body: text,
    });
    return httpJson(broker(), "POST", "/hook/set-status", { body: text, headers: signed.headers });
  }

  async function statusOf(peer: RawPeer, pubkey: string): Promise<unknown> {
    const peers = (await peer.request({ type: "list_peers" })).peers as Frame[];
    return peers.find((p) => p.pubkey === pubkey)?.status;
  }

  it("refuses an unsigned /hook/set-status with 401 and counts it", async () => {
    const res = await httpJson(broker(), "POST", "/hook/set-status", {
      body: JSON.stringify({ cwd: "/tmp", status: "working" }),
    });
    expect(res).toMatchObject({ status: 401, body: { ok: false, error: "unauthorized" } });
    const metrics = await httpJson(broker(), "GET", "/metrics");
    expect(sample(metrics.text, "broker_hook_requests_total")).toBeGreaterThanOrEqual(1);
  });

  it("a signed hook sets its own member's presence and never another member's", async () => {
    const bob = await addMember(broker(), mesh, "hook-bob");
    const eve = await addMember(broker(), mesh, "hook-eve");
    const peer = await connectMember(broker().url, mesh.meshId, bob, { cwd: "/work/bob", pid: 4242 });
    const own = await postHook(bob, { cwd: "/work/bob", pid: 4242, status: "working" });
    expect(own).toMatchObject({ status: 200, body: { ok: true, presence_id: peer.helloAck?.presenceId } });
    expect(await statusOf(peer, bob.pubkey)).toBe("working");
    const foreign = await postHook(eve, { cwd: "/work/bob", pid: 4242, status: "dnd" });
    expect(foreign).toMatchObject({ status: 200, body: { ok: true, pending: true } });
    expect(await statusOf(peer, bob.pubkey)).toBe("working");
  });

  it("a hook that arrives before its presence connects is applied when it connects", async () => {
    const carol = await addMember(broker(), mesh, "hook-carol");
    const early = await postHook(carol, { cwd: "/work/carol", pid: 77, status: "working" });
    expect(early).toMatchObject({ status: 200, body: { ok: true, pending: true } });
    const peer = await connectMember(broker().url, mesh.meshId, carol, { cwd: "/work/carol", pid: 77 });
    expect(await statusOf(peer, carol.pubkey)).toBe("working");
  });
});

/** Writes `request` on a fresh TCP connection and resolves with everything the broker answered. */
function rawHttp(httpUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(httpUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("malformed requests", () => {
  it("a request target that is no URL path gets 400, an upgrade to one is closed, and the broker stays up", async () => {
    for (const target of ["//", "//a:b", "//x:99999"]) {
      const answer = await rawHttp(
        broker().httpUrl,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('"error":"invalid_argument"');
    }
    const upgrade = await rawHttp(
      broker().httpUrl,
      "GET // HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    expect(upgrade).toBe("");
    expect((await httpJson(broker(), "GET", "/health")).status).toBe(200);
  });
});
