/**
 * The daemon against a real broker, both as processes (`node bin/claudemesh.js …`, so `npm run build`
 * must have run — `npm test` does): durability of accepted sends across kill -9, sends accepted while the
 * broker is down or its disk is full, and a recipient daemon that was down getting everything exactly once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonClient } from "../../src/daemon-api/client.js";
import { daemonEvents, type DaemonEvent } from "../../src/daemon-api/events.js";
import type { InboxMessage, SendResponse } from "../../src/daemon-api/contract.js";
import { waitUntil } from "../helpers/deadline.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "claudemesh.js");
const BUILT = existsSync(join(ROOT, "dist", "src", "cli", "main.js"));

interface User {
  name: string;
  env: NodeJS.ProcessEnv;
  socket: string;
  daemon: ChildProcess | null;
  client: DaemonClient;
}

let tmp: string;
let brokerDir: string;
let brokerPort = 0;
/** While this file says `writes`, every broker store write fails as on a full disk (store/faulty.ts). */
let storeFault: string;
let broker: ChildProcess | null = null;
const children = new Set<ChildProcess>();
let alice: User;
let bob: User;

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function stopped(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

/** Runs a CLI verb to completion and returns its parsed `--json` output. */
function cli(user: User, args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [BIN, ...args, "--json"], {
        env: { ...user.env, CLAUDEMESH_NO_DAEMON: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    let out = "";
    let err = "";
    child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
    child.on("exit", (code) => {
      if (code === 0) resolve(JSON.parse(out) as Record<string, unknown>);
      else reject(new Error(`claudemesh ${args.join(" ")} exited ${code}: ${err || out}`));
    });
  });
}

async function startBroker(port: number): Promise<number> {
  // Logs go to a file: an unread pipe would fill up and stall the broker.
  const log = openSync(join(tmp, "broker.log"), "a");
  const child = track(
    spawn(process.execPath, [BIN, "broker", "--port", String(port), "--data", brokerDir], {
      stdio: ["ignore", "pipe", log],
      env: { ...process.env, CLAUDEMESH_STORE_FAULT_FILE: storeFault },
    }),
  );
  closeSync(log);
  broker = child;
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    // A loaded machine can take long to start a process: this waits for the broker, it does not time it.
    const timer = setTimeout(() => {
      const tail = readFileSync(join(tmp, "broker.log"), "utf8").slice(-2_000);
      reject(new Error(`broker did not start; its log ends:\n${tail}`));
    }, 60_000);
    lines.on("line", (line) => {
      const match = /^listening on (ws:\/\/\S+)/.exec(line);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`broker exited ${code}`)));
  });
  return Number(new URL(url).port);
}

async function stopBroker(): Promise<void> {
  if (broker === null) return;
  const child = broker;
  broker = null;
  child.kill("SIGTERM");
  await stopped(child);
}

function makeUser(name: string): User {
  const configDir = join(tmp, name);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLAUDEMESH_CONFIG_DIR: configDir,
    CLAUDEMESH_DAEMON_DIR: join(configDir, "daemon"),
  };
  delete env.CLAUDEMESH_IPC_TOKEN_FILE;
  delete env.CLAUDEMESH_DAEMON_TCP_PORT;
  const socket = join(configDir, "daemon", "daemon.sock");
  return { name, env, socket, daemon: null, client: new DaemonClient({ socketPath: socket, token: null }) };
}

async function startDaemon(user: User): Promise<void> {
  const log = openSync(join(tmp, `${user.name}-daemon.log`), "a");
  user.daemon = track(
    spawn(process.execPath, [BIN, "daemon", "up", "--foreground"], {
      env: user.env,
      stdio: ["ignore", log, log],
    }),
  );
  closeSync(log);
  try {
    await waitUntil(async () => (await user.client.call("health", {})).meshes.every((m) => m.connected), {
      timeoutMs: 45_000,
    });
  } catch (error) {
    const tail = readFileSync(join(tmp, `${user.name}-daemon.log`), "utf8")
      .split("\n")
      .slice(-15)
      .join("\n");
    throw new Error(`${user.name}'s daemon did not connect: ${String(error)}\n${tail}`);
  }
}

async function stopDaemon(user: User, signal: NodeJS.Signals): Promise<void> {
  const child = user.daemon;
  if (child === null) return;
  user.daemon = null;
  child.kill(signal);
  await stopped(child);
}

async function inboxBodies(user: User): Promise<string[]> {
  const inbox = await user.client.call("inbox", { limit: 1_000 });
  return inbox.messages.map((m: InboxMessage) => m.body);
}

function count(list: string[], item: string): number {
  return list.filter((x) => x === item).length;
}

describe.skipIf(!BUILT)("daemon with a real broker", () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "cm-e2e-"));
    brokerDir = join(tmp, "broker");
    storeFault = join(tmp, "store-fault");
    brokerPort = await startBroker(0);
    alice = makeUser("alice");
    bob = makeUser("bob");
    const adminToken = readFileSync(join(brokerDir, "admin-token"), "utf8").trim();
    await cli(alice, [
      "mesh",
      "create",
      "e2e",
      "--broker",
      `ws://127.0.0.1:${brokerPort}/ws`,
      "--admin-token",
      adminToken,
      "--name",
      "alice",
    ]);
    const invite = await cli(alice, ["invite"]);
    await cli(bob, ["join", String(invite.link), "--name", "bob"]);
    await Promise.all([startDaemon(alice), startDaemon(bob)]);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await Promise.all([...children].map(stopped));
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  it("shows another member's daemon leaving and coming back as peer_leave and peer_join", async () => {
    const abort = new AbortController();
    const seen: DaemonEvent[] = [];
    const opened = new Promise<void>((resolve, reject) => {
      void (async () => {
        try {
          for await (const event of daemonEvents(alice.client, { signal: abort.signal, onOpen: resolve }))
            seen.push(event);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      })();
    });
    await opened;
    const about = (name: string) =>
      seen
        .filter((e) => (e.data as { display_name?: string }).display_name === "bob")
        .map((e) => e.event)
        .includes(name);
    try {
      await stopDaemon(bob, "SIGTERM");
      await waitUntil(() => about("peer_leave"), { timeoutMs: 10_000 });
      await startDaemon(bob);
      await waitUntil(() => about("peer_join"), { timeoutMs: 10_000 });
    } finally {
      abort.abort();
    }
    const peer = seen.find((e) => e.event === "peer_join")?.data;
    expect(peer).toMatchObject({
      mesh: "e2e",
      display_name: "bob",
      peer_role: "control-plane",
      session_pubkey: null,
    });
  }, 60_000);

  it("delivers every accepted send exactly once even when the sender's daemon is killed -9 right after", async () => {
    const bodies = Array.from({ length: 5 }, (_, i) => `survives kill -9 #${i}`);
    const sent: SendResponse[] = [];
    for (const message of bodies)
      sent.push(await alice.client.call("send", { to: "bob", message, wait_ms: 0 }));
    await stopDaemon(alice, "SIGKILL");
    await startDaemon(alice);
    await waitUntil(
      async () => {
        const items = (await alice.client.call("outbox", {})).items;
        return sent.every((s) => items.find((i) => i.id === s.message_id)?.status === "done");
      },
      { timeoutMs: 20_000 },
    );
    const inbox = await waitUntil(
      async () => {
        const got = await inboxBodies(bob);
        return bodies.every((b) => got.includes(b)) && got;
      },
      { timeoutMs: 20_000 },
    );
    for (const body of bodies) expect(count(inbox, body)).toBe(1);
  }, 60_000);

  it("accepts a send as queued while the broker is down and delivers it once the broker is back", async () => {
    await stopBroker();
    await waitUntil(async () => (await alice.client.call("health", {})).meshes.every((m) => !m.connected), {
      timeoutMs: 10_000,
    });
    const res = await alice.client.call("send", { to: "bob", message: "while the broker was down" });
    expect(res).toMatchObject({ status: "queued", broker_message_id: null });
    await startBroker(brokerPort);
    const inbox = await waitUntil(
      async () => {
        const got = await inboxBodies(bob);
        return got.includes("while the broker was down") && got;
      },
      { timeoutMs: 25_000 },
    );
    expect(count(inbox, "while the broker was down")).toBe(1);
    const item = (await alice.client.call("outbox", {})).items.find((i) => i.id === res.message_id);
    expect(item).toMatchObject({ status: "done" });
  }, 120_000);

  it("repeats a send whose daemon was killed -9 mid-request to a new daemon, and delivers it once", async () => {
    await waitUntil(async () => (await alice.client.call("health", {})).meshes.every((m) => m.connected), {
      timeoutMs: 45_000,
    });
    // The broker refuses writes for now: the daemon commits the send, then waits for an ack that does
    // not come (the CLI's wait_ms). That is the window to kill it in.
    writeFileSync(storeFault, "writes");
    const before = new Set((await alice.client.call("outbox", {})).items.map((i) => i.id));
    const killed = alice.daemon!.pid!;
    const send = track(
      spawn(process.execPath, [BIN, "send", "bob", "killed mid-request", "--json"], {
        env: alice.env,
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    let out = "";
    send.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    send.stderr?.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => send.once("exit", resolve));
    const row = await waitUntil(
      async () => (await alice.client.call("outbox", {})).items.find((i) => !before.has(i.id)),
      { timeoutMs: 15_000 },
    );
    await stopDaemon(alice, "SIGKILL");
    expect(await exited, out).toBe(0);
    // The CLI started a daemon again and sent the same request: it answered with the committed row.
    expect(JSON.parse(out)).toMatchObject({ message_id: row.id, status: "queued" });
    expect((await alice.client.call("version", {})).pid).not.toBe(killed);
    // Back to a daemon this file tracks.
    // (It may close the connection before its answer is read.)
    await alice.client.call("shutdown", {}).catch(() => undefined);
    await waitUntil(() => !existsSync(alice.socket), { timeoutMs: 10_000 });
    rmSync(storeFault);
    await startDaemon(alice);
    const inbox = await waitUntil(
      async () => {
        const got = await inboxBodies(bob);
        return got.includes("killed mid-request") && got;
      },
      { timeoutMs: 25_000 },
    );
    expect(count(inbox, "killed mid-request")).toBe(1);
    expect((await alice.client.call("outbox", {})).items.filter((i) => !before.has(i.id))).toHaveLength(1);
  }, 120_000);

  it("keeps a send refused store_unavailable pending and delivers it once the broker's disk has room", async () => {
    await waitUntil(async () => (await alice.client.call("health", {})).meshes.every((m) => m.connected), {
      timeoutMs: 15_000,
    });
    writeFileSync(storeFault, "writes");
    const res = await alice.client.call("send", {
      to: "bob",
      message: "while the disk was full",
      wait_ms: 0,
    });
    await waitUntil(
      async () => {
        const item = (await alice.client.call("outbox", {})).items.find((i) => i.id === res.message_id);
        return item?.status === "pending" && item.last_error?.startsWith("store_unavailable:");
      },
      { timeoutMs: 10_000, message: "the row pending with store_unavailable" },
    );
    rmSync(storeFault);
    const inbox = await waitUntil(
      async () => {
        const got = await inboxBodies(bob);
        return got.includes("while the disk was full") && got;
      },
      { timeoutMs: 25_000 },
    );
    expect(count(inbox, "while the disk was full")).toBe(1);
    const item = (await alice.client.call("outbox", {})).items.find((i) => i.id === res.message_id);
    expect(item).toMatchObject({ status: "done" });
  }, 60_000);

  it("gives a recipient whose daemon was down everything after it starts, none twice", async () => {
    await waitUntil(async () => (await alice.client.call("health", {})).meshes.every((m) => m.connected), {
      timeoutMs: 15_000,
    });
    await stopDaemon(bob, "SIGTERM");
    const bodies = Array.from({ length: 4 }, (_, i) => `while bob was away #${i}`);
    for (const message of bodies) {
      const res = await alice.client.call("send", { to: "bob", message });
      expect(res.status).toBe("sent");
    }
    await alice.client.call("send", { to: "*", message: "broadcast while bob was away" });
    await startDaemon(bob);
    const all = [...bodies, "broadcast while bob was away"];
    const inbox = await waitUntil(
      async () => {
        const got = await inboxBodies(bob);
        return all.every((b) => got.includes(b)) && got;
      },
      { timeoutMs: 20_000 },
    );
    for (const body of all) expect(count(inbox, body)).toBe(1);
  }, 120_000);

  it("runs a launched session as its own peer, scopes its inbox, and reaps it when its process dies", async () => {
    const claude = track(spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" }));
    const reg = await bob.client.call("registerSession", {
      pid: claude.pid!,
      session_id: "e2e-session",
      cwd: tmp,
      name: "bob-cc",
    });
    const session = new DaemonClient({ socketPath: bob.socket, token: reg.token });
    const seen = await waitUntil(
      async () => {
        const peers = (await alice.client.call("peers", {})).peers;
        return peers.find((p) => p.session_pubkey === reg.session_pubkey);
      },
      { timeoutMs: 10_000 },
    );
    expect(seen).toMatchObject({ display_name: "bob-cc", peer_role: "session" });
    expect(seen.pubkey).not.toBe(reg.session_pubkey);

    const res = await alice.client.call("send", { to: "bob-cc", message: "for the session only" });
    expect(res.target).toMatchObject({ kind: "session", spec: reg.session_pubkey });
    await waitUntil(
      async () => (await session.call("inbox", {})).messages.some((m) => m.body === "for the session only"),
      { timeoutMs: 10_000 },
    );
    expect(await inboxBodies(bob)).not.toContain("for the session only");

    const reply = await session.call("send", { to: "alice", message: "reply from the session" });
    expect(reply.status).toBe("sent");
    const got = await waitUntil(
      async () =>
        (await alice.client.call("inbox", {})).messages.find((m) => m.body === "reply from the session"),
      { timeoutMs: 10_000 },
    );
    expect(got.from_session_pubkey).toBe(reg.session_pubkey);

    claude.kill("SIGKILL");
    await waitUntil(
      async () =>
        !(await alice.client.call("peers", {})).peers.some((p) => p.session_pubkey === reg.session_pubkey),
      { timeoutMs: 15_000 },
    );
    await expect(session.call("sessionsMe", {})).rejects.toMatchObject({ code: "invalid_session_token" });
  }, 60_000);
});

if (!BUILT) {
  console.warn("daemon-broker.test.ts skipped: dist/ is missing; run `npm run build` (npm test does)");
}
