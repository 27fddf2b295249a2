/**
 * The broker client against a small scripted WebSocket server (the real broker is covered by the
 * integration suite). Each test scripts what the fake broker answers to the client's frames.
 */
import { afterEach, describe, expect, it } from "vitest";

import {
  Backoff,
  MeshClient,
  decideOnClose,
  MeshClientError,
  decryptPush,
  encryptDirect,
  encryptForTarget,
  type DisconnectInfo,
  type MeshClientOptions,
  type PushFrame,
  type TerminalInfo,
} from "../../src/index.js";
import {
  encodeLegacyMulticast,
  encryptMulticast,
  generateIdentity,
  sign,
  toBase64,
  verify,
} from "../../src/crypto/index.js";
import { attestationCanonical, helloCanonical, sessionHelloCanonical } from "../../src/protocol/canonical.js";
import { waitUntil } from "../helpers/deadline.js";
import { FakeBroker, helloAck, type Frame } from "../helpers/fake-ws-broker.js";

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

const MESH = "mesh_test";
const alice = { memberId: "mem_alice", ...generateIdentity() };
const aliceSession = generateIdentity();
const bob = generateIdentity();
const bobSession = generateIdentity();

let broker: FakeBroker;
const clients: MeshClient[] = [];

function makeClient(overrides: Partial<MeshClientOptions> = {}): MeshClient {
  const client = new MeshClient({
    url: broker.url,
    meshId: MESH,
    identity: alice,
    backoff: { steps: [5, 10, 20, 40], random: () => 0 },
    requestTimeoutMs: 2_000,
    ...overrides,
  });
  clients.push(client);
  return client;
}

function pushFrame(extra: Partial<PushFrame> = {}): PushFrame {
  return {
    type: "push",
    messageId: `m${Math.random().toString(36).slice(2, 12).padEnd(31, "x")}`,
    meshId: MESH,
    senderPubkey: bob.publicKey,
    senderMemberPubkey: bob.publicKey,
    priority: "now",
    nonce: "",
    ciphertext: "",
    createdAt: new Date().toISOString(),
    ...extra,
  };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await broker?.stop();
});

async function startBroker(options?: { autoPong?: boolean }): Promise<FakeBroker> {
  broker = await FakeBroker.start(options);
  return broker;
}

describe("hello", () => {
  it("signs the member hello canonical string with the member key and declares capabilities", async () => {
    await startBroker();
    const client = makeClient({ displayName: "alice-cli", sessionId: "s-1" });
    const ack = await client.connect();
    expect(ack.presenceId).toBe("p1");
    expect(client.connected).toBe(true);

    const hello = broker.hellos[0]!;
    expect(hello).toMatchObject({
      type: "hello",
      meshId: MESH,
      memberId: alice.memberId,
      pubkey: alice.publicKey,
      sessionId: "s-1",
      displayName: "alice-cli",
      protocolVersion: 2,
      capabilities: ["client_ack", "ok_replies", "body_version"],
    });
    const canonical = helloCanonical({
      meshId: MESH,
      memberId: alice.memberId,
      pubkey: alice.publicKey,
      timestamp: hello.timestamp as number,
    });
    expect(verify(canonical, hello.signature as string, alice.publicKey)).toBe(true);
    expect(verify(canonical, hello.signature as string, bob.publicKey)).toBe(false);
  });

  it("mints a fresh attestation for every session connect and never reuses a timestamp", async () => {
    await startBroker();
    let clock = 1_715_000_000_000;
    broker.onHello = (_hello, conn, attempt) => {
      conn.send(helloAck());
      // Drop the first connection like a moderator `disconnect` would: the client reconnects.
      if (attempt === 1) conn.ws.close(1000, "disconnected");
    };
    const client = makeClient({ session: { sessionKey: aliceSession }, now: () => clock });
    const connects: number[] = [];
    client.on("connected", () => {
      connects.push(clock);
      clock += 60_000;
    });
    await client.connect();
    await waitUntil(() => (connects.length === 2 ? true : undefined), { message: "second connect" });

    const [first, second] = broker.hellos as [Frame, Frame];
    for (const [hello, mintedAt] of [
      [first, 1_715_000_000_000],
      [second, 1_715_000_060_000],
    ] as const) {
      expect(hello.type).toBe("session_hello");
      const attestation = hello.parentAttestation as { expiresAt: number; signature: string };
      expect(attestation.expiresAt).toBe(mintedAt + 43_200_000);
      const attestCanonical = attestationCanonical({
        parentMemberPubkey: alice.publicKey,
        sessionPubkey: aliceSession.publicKey,
        expiresAt: attestation.expiresAt,
      });
      expect(verify(attestCanonical, attestation.signature, alice.publicKey)).toBe(true);
      const helloString = sessionHelloCanonical({
        meshId: MESH,
        parentMemberPubkey: alice.publicKey,
        sessionPubkey: aliceSession.publicKey,
        timestamp: hello.timestamp as number,
      });
      expect(verify(helloString, hello.signature as string, aliceSession.publicKey)).toBe(true);
    }
    expect(first.parentMemberId).toBe(alice.memberId);
  });

  it("bumps the timestamp when the clock has not moved, and uses mintAttestation when given", async () => {
    await startBroker();
    broker.onHello = (_hello, conn, attempt) => {
      conn.send(helloAck());
      if (attempt < 3) conn.ws.close(1000, "disconnected");
    };
    let minted = 0;
    const frozen = 1_800_000_000_000;
    const client = makeClient({
      identity: { memberId: alice.memberId, publicKey: alice.publicKey },
      now: () => frozen,
      session: {
        sessionKey: generateIdentity(),
        mintAttestation: () => {
          minted += 1;
          return { sessionPubkey: "", parentMemberPubkey: "", expiresAt: 0, signature: "" };
        },
      },
    });
    // A minter that returns an attestation for the wrong keys is a configuration error, reported as such.
    await expect(client.connect()).rejects.toMatchObject({ code: "bad_config" });
    expect(minted).toBe(1);

    const session = generateIdentity();
    const good = makeClient({
      identity: { memberId: alice.memberId, publicKey: alice.publicKey },
      now: () => frozen,
      session: {
        sessionKey: session,
        mintAttestation: () => {
          minted += 1;
          const expiresAt = frozen + 1000;
          const canonical = attestationCanonical({
            parentMemberPubkey: alice.publicKey,
            sessionPubkey: session.publicKey,
            expiresAt,
          });
          return {
            sessionPubkey: session.publicKey,
            parentMemberPubkey: alice.publicKey,
            expiresAt,
            signature: sign(canonical, alice.secretKey),
          };
        },
      },
    });
    await good.connect();
    await waitUntil(() => (broker.hellos.length === 3 ? true : undefined), { message: "three hellos" });
    const timestamps = broker.hellos.map((h) => h.timestamp);
    expect(timestamps).toEqual([frozen, frozen + 1, frozen + 2]);
    expect(minted).toBe(4);
  });

  it("rejects connect() with the broker's code for a permanent refusal, without retrying", async () => {
    await startBroker();
    broker.onHello = (_hello, conn) => {
      conn.send({ type: "error", code: "unauthorized", message: "not a member of this mesh" });
      conn.ws.close(1008, "unauthorized");
    };
    const client = makeClient();
    const terminal = deferred<TerminalInfo>();
    client.on("terminal", terminal.resolve);
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeshClientError);
    expect(error).toMatchObject({ code: "unauthorized", closeCode: 1008 });
    expect((await terminal.promise).reason).toBe("unauthorized");
    expect(broker.hellos).toHaveLength(1);
  });

  it("re-signs once after timestamp_skew, then stops and reports clock skew", async () => {
    await startBroker();
    broker.onHello = (_hello, conn) => {
      conn.send({
        type: "error",
        code: "timestamp_skew",
        message: "clock skew",
        serverTime: Date.now() + 120_000,
      });
      conn.ws.close(1008, "timestamp_skew");
    };
    const client = makeClient();
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "timestamp_skew", closeCode: 1008 });
    expect((error as MeshClientError).serverTime).toBeGreaterThan(Date.now());
    expect(broker.hellos).toHaveLength(2);
    expect(broker.hellos[1]!.timestamp).not.toBe(broker.hellos[0]!.timestamp);
  });

  it("rejects with hello_ack_timeout when the broker never answers the hello", async () => {
    await startBroker();
    broker.onHello = () => undefined;
    const client = makeClient({ reconnect: false, helloTimeoutMs: 100 });
    await expect(client.connect()).rejects.toMatchObject({ code: "hello_ack_timeout" });
  });

  it("falls back to a member hello when the broker does not know session_hello", async () => {
    await startBroker();
    broker.onHello = (hello, conn) => {
      if (hello.type === "session_hello") {
        conn.send({
          type: "error",
          code: "unknown_message_type",
          message: "unknown message type: session_hello",
        });
      } else {
        conn.send(helloAck());
      }
    };
    const client = makeClient({ session: { sessionKey: aliceSession } });
    await client.connect();
    expect(broker.hellos.map((h) => h.type)).toEqual(["session_hello", "hello"]);
    expect(client.connectionKind).toBe("member");
    expect(client.publicKey).toBe(alice.publicKey);
  });
});

describe("requests", () => {
  it("correlates replies by _reqId, in any order, and rejects error replies with their code", async () => {
    await startBroker();
    const client = makeClient();
    await client.connect();
    const conn = await broker.connection();

    const peers = client.listPeers();
    const status = client.request({ type: "message_status", messageId: "abcdefgh" });
    const [listReq, statusReq] = [await conn.next("list_peers"), await conn.next("message_status")];
    expect(listReq._reqId).not.toBe(statusReq._reqId);
    conn.send({ type: "error", code: "not_found", message: "no such message", _reqId: statusReq._reqId });
    conn.send({ type: "peers_list", peers: [], _reqId: listReq._reqId });
    await expect(peers).resolves.toEqual([]);
    await expect(status).rejects.toMatchObject({ code: "not_found", message: "no such message" });
  });

  it("times out a request with no reply and rejects pending requests when the connection closes", async () => {
    await startBroker();
    const client = makeClient({ reconnect: false });
    await client.connect();
    await expect(client.request({ type: "list_peers" }, { timeoutMs: 50 })).rejects.toMatchObject({
      code: "request_timeout",
    });

    const conn = await broker.connection();
    const pending = client.listMembers();
    await conn.next("list_members");
    conn.ws.close(1000);
    await expect(pending).rejects.toMatchObject({ code: "connection_closed", closeCode: 1000 });
    expect(() => client.fire({ type: "set_summary", summary: "x" })).toThrow(MeshClientError);
  });

  it("rejects a reply of the wrong shape as invalid_reply", async () => {
    await startBroker();
    const client = makeClient();
    await client.connect();
    const conn = await broker.connection();
    const peers = client.listPeers();
    const req = await conn.next("list_peers");
    conn.send({ type: "peers_list", peers: "nope", _reqId: req._reqId });
    await expect(peers).rejects.toMatchObject({ code: "invalid_reply" });
  });

  it("awaits ok for fire-and-forget requests when the broker has ok_replies", async () => {
    await startBroker();
    const client = makeClient();
    await client.connect();
    const conn = await broker.connection();
    const done = client.setStatus("working", "hook");
    const frame = await conn.next("set_status");
    expect(frame).toMatchObject({ status: "working", source: "hook" });
    conn.send({ type: "ok", _reqId: frame._reqId });
    await done;
  });

  it("correlates send acks by id and _reqId; failed acks resolve, error frames reject", async () => {
    await startBroker();
    const client = makeClient();
    await client.connect();
    const conn = await broker.connection();

    const first = client.send({
      targetSpec: bob.publicKey,
      nonce: "",
      ciphertext: "eA==",
      clientMessageId: "cm-1",
    });
    const sent = await conn.next("send");
    expect(sent).toMatchObject({ id: "cm-1", client_message_id: "cm-1", priority: "next" });
    // A reference broker echoes only `id`.
    conn.send({ type: "ack", id: "cm-1", messageId: "A".repeat(32), queued: true });
    await expect(first).resolves.toMatchObject({ queued: true, messageId: "A".repeat(32) });

    const second = client.send({ targetSpec: "@nobody", nonce: "", ciphertext: "eA==" });
    const sent2 = await conn.next("send", 1);
    conn.send({
      type: "ack",
      id: sent2.id,
      messageId: "",
      queued: false,
      error: "no_recipient: x",
      _reqId: sent2._reqId,
    });
    await expect(second).resolves.toMatchObject({ queued: false, error: "no_recipient: x" });

    const third = client.send({
      targetSpec: bob.publicKey,
      nonce: "",
      ciphertext: "eA==",
      clientMessageId: "cm-3",
    });
    await conn.next("send", 2);
    conn.send({ type: "error", code: "rate_limit", message: "slow down", id: "cm-3" });
    await expect(third).rejects.toMatchObject({ code: "rate_limit" });
  });
});

describe("reconnect", () => {
  it("follows the backoff steps while hellos fail and resets after a successful hello", async () => {
    await startBroker();
    broker.onHello = (_hello, conn, attempt) => {
      if (attempt <= 5 || attempt === 7) conn.ws.terminate();
      else conn.send(helloAck());
    };
    const client = makeClient();
    const delays: number[] = [];
    client.on("disconnected", (info) => delays.push(info.retryInMs ?? -1));
    await client.connect();
    expect(delays).toEqual([5, 10, 20, 40, 40]);
    // The 6th connection drops and attempt 7 fails: the sequence restarted from the first step.
    (await broker.connection(5)).ws.terminate();
    await waitUntil(() => (broker.hellos.length >= 8 && client.connected ? true : undefined), {
      message: "reconnect",
    });
    expect(delays.slice(5)).toEqual([5, 10]);
  });

  it("retryNow starts a waiting attempt at once and keeps the backoff step", async () => {
    await startBroker();
    broker.onHello = (_hello, conn, attempt) => {
      if (attempt <= 2) conn.ws.terminate();
      else conn.send(helloAck());
    };
    // Waits long enough that only retryNow can end them within the test.
    const client = makeClient({ backoff: { steps: [600_000], random: () => 0 } });
    expect(client.retryNow()).toBe(false);
    const delays: number[] = [];
    client.on("disconnected", (info) => delays.push(info.retryInMs ?? -1));
    const connected = client.connect();
    await waitUntil(() => (delays.length === 1 ? true : undefined), { message: "first attempt refused" });
    expect(client.retryNow()).toBe(true);
    // The retried attempt fails too: the next wait is the next backoff step, not a shorter one.
    await waitUntil(() => (delays.length === 2 ? true : undefined), { message: "second attempt refused" });
    expect(client.retryNow()).toBe(true);
    await connected;
    expect(delays).toEqual([600_000, 600_000]);
    expect(broker.hellos).toHaveLength(3);
    expect(client.retryNow()).toBe(false);
    await client.close();
    expect(client.retryNow()).toBe(false);
  });

  it("uses 1, 2, 4, 8, 16, 30, 30 s by default, with bounded jitter and a long wait for capacity", () => {
    const exact = new Backoff({ random: () => 0 });
    expect(Array.from({ length: 7 }, () => exact.next())).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    exact.reset();
    expect(exact.next({ atLeast: exact.longest })).toBe(30000);
    expect(exact.next({ shutdown: true })).toBe(2000);

    const jittered = new Backoff({ random: () => 0.999 });
    const first = jittered.next();
    expect(first).toBeGreaterThan(1000);
    expect(first).toBeLessThanOrEqual(1200);
    expect(jittered.next({ shutdown: true })).toBeGreaterThan(2000 + 999);
  });

  it("maps every close of protocol.md §2.8 to its action", () => {
    const decide = (code: number, reason: string, extra: Partial<Parameters<typeof decideOnClose>[0]> = {}) =>
      decideOnClose({
        code,
        reason,
        lastError: null,
        resigned: new Set(),
        canMintAttestation: false,
        ...extra,
      });
    expect(decide(1000, "disconnected")).toEqual({ action: "retry", wait: "backoff" });
    expect(decide(1000, "")).toEqual({ action: "retry", wait: "backoff" });
    expect(decide(1000, "session_replaced")).toMatchObject({ action: "stop", errorCode: "session_replaced" });
    expect(decide(1001, "shutting down")).toEqual({ action: "retry", wait: "shutdown" });
    expect(decide(1006, "")).toEqual({ action: "retry", wait: "backoff" });
    expect(decide(1009, "frame_too_large")).toEqual({ action: "retry", wait: "backoff" });
    expect(decide(1008, "hello_timeout")).toEqual({ action: "retry", wait: "backoff" });
    expect(decide(1008, "capacity")).toEqual({ action: "retry", wait: "long" });
    expect(decide(1008, "replayed_hello")).toEqual({
      action: "retry",
      wait: "now",
      resign: "replayed_hello",
    });
    expect(decide(1008, "replayed_hello", { resigned: new Set(["replayed_hello"]) })).toMatchObject({
      action: "stop",
    });
    expect(decide(1008, "expired", { canMintAttestation: true })).toEqual({
      action: "retry",
      wait: "now",
      resign: "expired",
    });
    expect(decide(1008, "expired")).toMatchObject({ action: "stop", errorCode: "expired" });
    for (const code of [
      "bad_signature",
      "malformed",
      "unauthorized",
      "attestation_mismatch",
      "bad_parent_pubkey",
    ]) {
      expect(decide(1008, code)).toMatchObject({ action: "stop", errorCode: code });
    }
    expect(decide(4001, "kicked")).toMatchObject({ action: "stop", message: "Kicked from this mesh." });
    expect(decide(4002, "left")).toMatchObject({ action: "stop", errorCode: "left" });
    expect(decide(4002, "banned")).toMatchObject({ action: "stop", errorCode: "revoked" });
  });

  it("never reconnects after 4001 kicked and reports the kick", async () => {
    await startBroker();
    const client = makeClient();
    await client.connect();
    const terminal = deferred<TerminalInfo>();
    const disconnects: DisconnectInfo[] = [];
    client.on("terminal", terminal.resolve);
    client.on("disconnected", (info) => disconnects.push(info));
    (await broker.connection()).ws.close(4001, "kicked");
    expect(await terminal.promise).toMatchObject({
      code: 4001,
      reason: "kicked",
      message: "Kicked from this mesh.",
    });
    expect(disconnects).toEqual([{ code: 4001, reason: "kicked", willReconnect: false, url: broker.url }]);
    // With 5 ms backoff steps a reconnect would have happened long before this.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(broker.connections).toHaveLength(1);
  });

  it("never reconnects after 4002 and surfaces the broker's message", async () => {
    await startBroker();
    const client = makeClient();
    await client.connect();
    const terminal = deferred<TerminalInfo>();
    client.on("terminal", terminal.resolve);
    const conn = await broker.connection();
    const message = 'You\'ve been removed from "team". Contact the mesh owner to rejoin.';
    conn.send({ type: "error", code: "revoked", message });
    conn.ws.close(4002, "banned");
    expect(await terminal.promise).toMatchObject({
      code: 4002,
      reason: "banned",
      errorCode: "revoked",
      message,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(broker.connections).toHaveLength(1);
    expect(client.connected).toBe(false);
  });

  it("does not reconnect after session_replaced", async () => {
    await startBroker();
    const client = makeClient();
    await client.connect();
    const terminal = deferred<TerminalInfo>();
    client.on("terminal", terminal.resolve);
    (await broker.connection()).ws.close(1000, "session_replaced");
    expect(await terminal.promise).toMatchObject({ code: 1000, errorCode: "session_replaced" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(broker.connections).toHaveLength(1);
  });

  it("terminates and reconnects when the link is silent past the stale limit", async () => {
    await startBroker({ autoPong: false });
    const client = makeClient({ watchdog: { pingIntervalMs: 20, staleMs: 80 } });
    await client.connect();
    await waitUntil(() => (broker.hellos.length >= 2 ? true : undefined), {
      message: "reconnect after stale link",
    });
  });

  it("sends bye and closes with 1000 without reconnecting", async () => {
    await startBroker();
    const client = makeClient();
    await client.connect();
    const conn = await broker.connection();
    const closed = new Promise<number>((resolve) => conn.ws.once("close", (code) => resolve(code)));
    await client.bye();
    expect(conn.framesOf("bye")).toHaveLength(1);
    expect(await closed).toBe(1000);
    await client.close();
    expect(broker.connections).toHaveLength(1);
  });
});

describe("pushes", () => {
  it("acks a push only after the handler resolves, echoing client_message_id", async () => {
    await startBroker();
    const client = makeClient();
    const handled = deferred();
    const received = deferred<PushFrame>();
    client.onPush(async (push) => {
      received.resolve(push);
      await handled.promise;
    });
    await client.connect();
    const conn = await broker.connection();
    const push = pushFrame({ client_message_id: "cm-42" });
    conn.send(push);
    expect((await received.promise).messageId).toBe(push.messageId);

    // A round trip proves the client has processed everything sent before it: still no ack.
    const peers = client.listPeers();
    conn.send({ type: "peers_list", peers: [], _reqId: (await conn.next("list_peers"))._reqId });
    await peers;
    expect(conn.framesOf("client_ack")).toHaveLength(0);

    handled.resolve();
    expect(await conn.next("client_ack")).toEqual({
      type: "client_ack",
      clientMessageId: "cm-42",
      brokerMessageId: push.messageId,
    });
  });

  it("does not ack when the handler throws, never acks system events, and ignores invalid frames", async () => {
    await startBroker();
    const client = makeClient();
    const systemEvents: string[] = [];
    const other: string[] = [];
    client.onSystemEvent((event) => systemEvents.push(event.event ?? ""));
    client.onFrame((frame) => other.push(frame.type));
    client.onPush((push) => {
      if (push.ciphertext === "fail") throw new Error("disk full");
    });
    await client.connect();
    const conn = await broker.connection();

    const failing = pushFrame({ ciphertext: "fail" });
    const ok = pushFrame({ ciphertext: "ok" });
    conn.send("not json");
    conn.send({ no: "type" });
    conn.send({ type: "push", messageId: 42 });
    conn.send(failing);
    conn.send(
      pushFrame({
        subtype: "system",
        event: "peer_joined",
        senderPubkey: "system",
        eventData: { name: "bob" },
      }),
    );
    conn.send({ type: "state_change", key: "k" });
    conn.send(ok);

    const ack = await conn.next("client_ack");
    expect(ack.brokerMessageId).toBe(ok.messageId);
    expect(ack.clientMessageId).toBe(ok.messageId);
    expect(systemEvents).toEqual(["peer_joined"]);
    expect(other).toEqual(["state_change"]);
    // The client still answers after the garbage.
    const peers = client.listPeers();
    conn.send({ type: "peers_list", peers: [], _reqId: (await conn.next("list_peers"))._reqId });
    await peers;
    expect(conn.framesOf("client_ack")).toHaveLength(1);
  });

  it("acks a redelivered push again without handing it to the handler a second time", async () => {
    await startBroker();
    const client = makeClient();
    const seen: string[] = [];
    client.onPush((push) => {
      seen.push(push.messageId);
    });
    await client.connect();
    const conn = await broker.connection();
    const push = pushFrame({ client_message_id: "cm-1" });
    const other = pushFrame({ client_message_id: "cm-2" });
    conn.send(push);
    conn.send(push);
    conn.send(other);
    await waitUntil(() => conn.framesOf("client_ack").length === 3 || undefined);
    expect(seen).toEqual([push.messageId, other.messageId]);
    expect(conn.framesOf("client_ack").map((f) => f.brokerMessageId)).toEqual([
      push.messageId,
      push.messageId,
      other.messageId,
    ]);
  });
});

describe("backlog", () => {
  it("is received once the pushes before backlog_sent went through the handler", async () => {
    await startBroker();
    broker.onHello = (_hello, conn) => conn.send(helloAck({ features: ["client_ack", "backlog_sent"] }));
    const client = makeClient({ capabilities: ["client_ack", "backlog_sent"] });
    const handled = deferred();
    const stored: string[] = [];
    const events: string[] = [];
    client.onPush(async (push) => {
      await handled.promise;
      stored.push(push.messageId);
    });
    client.on("backlog", () => events.push(`backlog after ${stored.length}`));
    await client.connect();
    expect(client.backlogReceived).toBe(false);
    const conn = await broker.connection();
    const first = pushFrame();
    const second = pushFrame();
    conn.send(first);
    conn.send(second);
    conn.send({ type: "backlog_sent" });
    // A round trip proves the client has read everything sent before it: the handler still holds the pushes.
    const peers = client.listPeers();
    conn.send({ type: "peers_list", peers: [], _reqId: (await conn.next("list_peers"))._reqId });
    await peers;
    expect(client.backlogReceived).toBe(false);
    handled.resolve();
    await waitUntil(() => client.backlogReceived, { message: "backlog received" });
    expect(stored).toEqual([first.messageId, second.messageId]);
    expect(events).toEqual(["backlog after 2"]);
  });

  it("is received at connect when the broker does not offer backlog_sent", async () => {
    await startBroker();
    const client = makeClient({ capabilities: ["client_ack", "backlog_sent"] });
    const events: number[] = [];
    client.on("backlog", () => events.push(1));
    await client.connect();
    expect(client.backlogReceived).toBe(true);
    expect(events).toEqual([1]);
  });
});

describe("encryption", () => {
  const rootKey = new Uint8Array(32).fill(7);
  const keysOf = (...pairs: Array<{ publicKey: string; secretKey: string }>) => ({
    secretKeys: new Map(pairs.map((p) => [p.publicKey, p.secretKey])),
  });

  it("opens a DM to the member key and to a session key, trying the addressed key first", () => {
    const toMember = encryptDirect("hello bob ✓", bob.publicKey, alice.secretKey);
    const push = pushFrame({ ...toMember, senderPubkey: alice.publicKey, targetSpec: bob.publicKey });
    expect(decryptPush(push, keysOf(bobSession, bob))).toEqual({
      ok: true,
      text: "hello bob ✓",
      encrypted: true,
    });

    const toSession = encryptDirect("to the session", bobSession.publicKey, aliceSession.secretKey);
    const sessionPush = pushFrame({
      ...toSession,
      senderPubkey: aliceSession.publicKey,
      targetSpec: bobSession.publicKey,
      recipientPubkey: bobSession.publicKey,
    });
    expect(decryptPush(sessionPush, keysOf(bob, bobSession))).toMatchObject({
      ok: true,
      text: "to the session",
    });
  });

  it("opens broadcast and group bodies, deriving the key from the target as sent", () => {
    const broadcast = encryptForTarget("to everyone", "*", rootKey);
    expect(decryptPush(pushFrame({ ...broadcast, targetSpec: "*" }), { ...keysOf(bob), rootKey })).toEqual({
      ok: true,
      text: "to everyone",
      encrypted: true,
    });
    // A member of `a/b` receives a message sent to `@a`, encrypted with the key of `a`.
    const group = encryptForTarget("to group a", "@a", rootKey);
    expect(group.bodyVersion).toBe(2);
    expect(decryptPush(pushFrame({ ...group, targetSpec: "@a" }), { ...keysOf(bob), rootKey })).toMatchObject(
      {
        ok: true,
        text: "to group a",
      },
    );
    // The key of `a/b` does not open it.
    const wrongTarget = pushFrame({ ...group, targetSpec: "@a/b" });
    expect(decryptPush(wrongTarget, { ...keysOf(bob), rootKey })).toEqual({
      ok: false,
      reason: "decrypt_failed",
    });
  });

  it("marks bodyVersion 1 bodies unencrypted", () => {
    const legacy = encodeLegacyMulticast("plain group text");
    expect(decryptPush(pushFrame({ ...legacy, targetSpec: "@a" }), keysOf(bob))).toEqual({
      ok: true,
      text: "plain group text",
      encrypted: false,
    });
  });

  it("reports failures instead of returning base64", () => {
    const dm = encryptDirect("secret", bob.publicKey, alice.secretKey);
    const push = pushFrame({ ...dm, senderPubkey: alice.publicKey, targetSpec: bob.publicKey });
    expect(decryptPush(push, keysOf(bobSession))).toEqual({ ok: false, reason: "decrypt_failed" });
    expect(decryptPush(push, { secretKeys: new Map() })).toEqual({ ok: false, reason: "no_key" });
    expect(decryptPush({ ...push, ciphertext: "!!not base64!!" }, keysOf(bob))).toEqual({
      ok: false,
      reason: "decrypt_failed",
    });

    const group = encryptMulticast("x", new Uint8Array(32).fill(1));
    expect(decryptPush(pushFrame({ ...group, targetSpec: "*" }), keysOf(bob))).toEqual({
      ok: false,
      reason: "no_key",
    });
    expect(decryptPush(pushFrame({ ...group, targetSpec: "*" }), { ...keysOf(bob), rootKey })).toEqual({
      ok: false,
      reason: "decrypt_failed",
    });

    const notUtf8 = toBase64(new Uint8Array([0xff, 0xfe]));
    expect(
      decryptPush(pushFrame({ ciphertext: notUtf8, bodyVersion: 1, targetSpec: "*" }), keysOf(bob)),
    ).toEqual({
      ok: false,
      reason: "bad_body",
    });
    expect(decryptPush(pushFrame({ subtype: "system" }), keysOf(bob))).toEqual({
      ok: false,
      reason: "system_event",
    });
  });

  it("encrypts DMs with the session key on a session connection, and the receiver opens them", async () => {
    await startBroker();
    const client = makeClient({ session: { sessionKey: aliceSession } });
    await client.connect();
    const conn = await broker.connection();
    const acked = client.sendDirect(bob.publicKey, "hi from a session", { clientMessageId: "cm-dm" });
    const sent = await conn.next("send");
    conn.send({ type: "ack", id: sent.id, messageId: "B".repeat(32), queued: true, _reqId: sent._reqId });
    await acked;

    const push = pushFrame({
      nonce: sent.nonce as string,
      ciphertext: sent.ciphertext as string,
      senderPubkey: aliceSession.publicKey,
      targetSpec: bob.publicKey,
    });
    expect(decryptPush(push, keysOf(bob))).toMatchObject({ ok: true, text: "hi from a session" });
    // The member key did not make this box.
    expect(decryptPush({ ...push, senderPubkey: alice.publicKey }, keysOf(bob))).toMatchObject({ ok: false });

    const multicast = client.sendMulticast("@a", "group hello", rootKey);
    const sentGroup = await conn.next("send", 1);
    expect(sentGroup.bodyVersion).toBe(2);
    conn.send({
      type: "ack",
      id: sentGroup.id,
      messageId: "C".repeat(32),
      queued: true,
      _reqId: sentGroup._reqId,
    });
    await multicast;
    // The client's own decryptPush uses its session and member keys.
    const back = encryptDirect("reply", aliceSession.publicKey, bob.secretKey);
    expect(client.decryptPush(pushFrame({ ...back, targetSpec: aliceSession.publicKey }))).toMatchObject({
      ok: true,
      text: "reply",
    });
  });
});
