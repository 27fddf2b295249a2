import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  boxDecrypt,
  boxEncrypt,
  encryptMulticast,
  generateIdentity,
  multicastKey,
  toBase64,
} from "../../src/crypto/index.js";
import type {
  HealthResponse,
  InboxResponse,
  MessageStatusResponse,
  OutboxItem,
  PeersResponse,
  RegisterSessionResponse,
  SendResponse,
  SessionInfo,
} from "../../src/daemon-api/contract.js";
import { saveConfig } from "../../src/host/config.js";
import { requestFingerprint } from "../../src/protocol/canonical.js";
import { makeMesh, pushFrame, startHarness, type Harness } from "./fake-broker.js";
import { waitUntil } from "../helpers/deadline.js";

let h: Harness;
const peer = generateIdentity();

beforeEach(async () => {
  h = await startHarness(undefined, {
    members: ([alpha]) => [
      {
        memberId: "member-alpha",
        pubkey: alpha!.member.publicKey,
        displayName: "me",
        role: "owner",
        online: true,
        joinedAt: "2026-01-01T00:00:00.000Z",
      },
      {
        memberId: "m-peer",
        pubkey: peer.publicKey,
        displayName: "peer",
        role: "member",
        online: true,
        joinedAt: "2026-01-01T00:00:00.000Z",
      },
    ],
  });
});

afterEach(async () => {
  // No JSON answer of any route may carry a secret key (128 hex chars).
  for (const body of h.bodies) expect(JSON.stringify(body)).not.toMatch(/[0-9a-f]{128}/);
  await h.close();
});

const meshId = (): string => h.meshes[0]!.config.mesh_id;

async function register(
  sessionId: string,
  pid = process.pid,
  extra: { channel_flag?: boolean } = {},
): Promise<RegisterSessionResponse> {
  const res = await h.request<RegisterSessionResponse>("POST", "/v1/sessions/register", {
    body: { pid, session_id: sessionId, cwd: "/tmp", name: `s-${sessionId}`, ...extra },
  });
  expect(res.status).toBe(201);
  return res.body;
}

describe("version, health, sessions", () => {
  it("answers version and per-mesh health", async () => {
    const version = await h.request("GET", "/v1/version");
    expect(version).toMatchObject({ status: 200, body: { version: "0.0.0-test", api: 1, pid: process.pid } });
    const health = await h.request<HealthResponse>("GET", "/v1/health");
    expect(health.body.meshes).toEqual([
      { mesh_id: meshId(), slug: "alpha", state: "connected", connected: true, last_error: null },
    ]);
  });

  it("registers a session with its own key and connection, and scopes /sessions/me by token", async () => {
    const reg = await register("s1");
    expect(reg.token).toMatch(/^[0-9a-f]{64}$/);
    expect(reg.session_pubkey).toMatch(/^[0-9a-f]{64}$/);
    const link = h.broker.sessionLink(reg.session_pubkey);
    expect(link.options.channel).toBe("claudemesh-session");
    expect(link.options.sessionId).toBe("s1");

    const me = await h.request<SessionInfo>("GET", "/v1/sessions/me", { token: reg.token });
    expect(me.body).toMatchObject({
      session_id: "s1",
      session_pubkey: reg.session_pubkey,
      slug: "alpha",
      connected: true,
    });
    expect(await h.request("GET", "/v1/sessions/me")).toMatchObject({
      status: 401,
      body: { error: "no_session" },
    });
    expect(await h.request("GET", "/v1/sessions/me", { token: "ab".repeat(32) })).toMatchObject({
      status: 401,
      body: { error: "invalid_session_token" },
    });
    const list = await h.request<{ sessions: SessionInfo[] }>("GET", "/v1/sessions");
    expect(list.body.sessions.map((s) => s.session_id)).toEqual(["s1"]);
    expect(JSON.stringify(list.body)).not.toContain(reg.token);
  });

  it("keeps the session key per Claude session id across re-registration", async () => {
    const first = await register("resume-me");
    const second = await register("resume-me");
    expect(second.session_pubkey).toBe(first.session_pubkey);
    expect(second.token).not.toBe(first.token);
    // The old token is no longer accepted.
    expect((await h.request("GET", "/v1/sessions/me", { token: first.token })).status).toBe(401);
  });

  it("refuses a session name no send could address, before it opens a connection", async () => {
    const links = h.broker.links.length;
    for (const name of ["@reviewers", "#ops", "*"]) {
      const res = await h.request("POST", "/v1/sessions/register", {
        body: { pid: process.pid, session_id: `bad-${name}`, cwd: "/tmp", name },
      });
      expect(res).toMatchObject({
        status: 400,
        body: { error: "invalid_request", message: expect.stringMatching(/^name: a display name must not/) },
      });
    }
    expect(h.broker.links).toHaveLength(links);
  });

  it("DELETE says bye on the session connection and ends the session", async () => {
    const reg = await register("s-del");
    const link = h.broker.sessionLink(reg.session_pubkey);
    expect((await h.request("DELETE", `/v1/sessions/${reg.token}`)).status).toBe(200);
    expect(link.saidBye).toBe(true);
    expect((await h.request("GET", "/v1/sessions/me", { token: reg.token })).status).toBe(401);
  });

  it("refuses bad input with a specific error", async () => {
    const res = await h.request("POST", "/v1/sessions/register", { body: { pid: "x", session_id: "s" } });
    expect(res).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    // The field and the limit it broke, in words (the CLI prints them as they are).
    const summary = await h.request("POST", "/v1/summary", { body: { summary: "s".repeat(1_025) } });
    expect(summary).toMatchObject({
      status: 400,
      body: { error: "invalid_request", message: "summary is too long: at most 1,024 characters" },
    });
    const tags = await h.request("POST", "/v1/tasks", { body: { title: "t", tags: ["x".repeat(65)] } });
    expect(tags.body).toMatchObject({ message: "tags[0] is too long: at most 64 characters" });
    const title = await h.request("POST", "/v1/tasks", { body: { title: "" } });
    expect(title.body).toMatchObject({ message: "title is empty" });
    expect((await h.request("GET", "/v1/nope")).status).toBe(404);
    expect((await h.request("PUT", "/v1/send")).status).toBe(405);
  });
});

describe("inbox", () => {
  function dmTo(recipientPubkey: string, text: string, clientId?: string) {
    const env = boxEncrypt(text, recipientPubkey, peer.secretKey);
    return pushFrame({
      meshId: meshId(),
      senderPubkey: peer.publicKey,
      senderMemberPubkey: peer.publicKey,
      senderName: "peer",
      targetSpec: recipientPubkey,
      recipientPubkey,
      ...env,
      ...(clientId === undefined ? {} : { client_message_id: clientId }),
    });
  }

  it("stores decrypted messages per session and scopes reading by the session token", async () => {
    const a = await register("a");
    const b = await register("b");
    const member = h.meshes[0]!.member.publicKey;
    expect(await h.broker.sessionLink(a.session_pubkey).push(dmTo(a.session_pubkey, "for a"))).toBe(true);
    expect(await h.broker.sessionLink(b.session_pubkey).push(dmTo(b.session_pubkey, "for b"))).toBe(true);
    expect(await h.broker.control().push(dmTo(member, "for the member"))).toBe(true);

    const bodies = async (token?: string) =>
      (
        await h.request<InboxResponse>("GET", "/v1/inbox", token === undefined ? {} : { token })
      ).body.messages.map((m) => m.body);
    expect(await bodies(a.token)).toEqual(["for a", "for the member"]);
    expect(await bodies(b.token)).toEqual(["for b", "for the member"]);
    expect(await bodies()).toEqual(["for the member"]);
  });

  it("keeps a message with the session it was addressed to, whichever connection got it", async () => {
    const a = await register("a2");
    const b = await register("b2");
    const member = h.meshes[0]!.member.publicKey;
    // Session b's connection claims a DM addressed to session a, and a member-level message.
    expect(await h.broker.sessionLink(b.session_pubkey).push(dmTo(a.session_pubkey, "for a, via b"))).toBe(
      true,
    );
    expect(await h.broker.sessionLink(b.session_pubkey).push(dmTo(member, "member-level, via b"))).toBe(true);
    const lane = async (token?: string) =>
      (
        await h.request<InboxResponse>("GET", "/v1/inbox?scope=lane", token === undefined ? {} : { token })
      ).body.messages.map((m) => m.body);
    expect(await lane(a.token)).toContain("for a, via b");
    expect(await lane(b.token)).not.toContain("for a, via b");
    expect(await lane()).not.toContain("for a, via b");
    // Member-level stays member-level: every session and ambient callers see it.
    expect(await lane(b.token)).toContain("member-level, via b");
    expect(await lane()).toContain("member-level, via b");
  });

  it("decrypts broadcasts with the mesh root key and marks them encrypted", async () => {
    const body = encryptMulticast("hello all", multicastKey(h.meshes[0]!.rootKey, "*"));
    await h.broker.control().push(
      pushFrame({
        meshId: meshId(),
        senderPubkey: peer.publicKey,
        senderMemberPubkey: peer.publicKey,
        targetSpec: "*",
        ...body,
      }),
    );
    const inbox = await h.request<InboxResponse>("GET", "/v1/inbox");
    expect(inbox.body.messages[0]).toMatchObject({
      body: "hello all",
      to: "*",
      encrypted: true,
      from_pubkey: peer.publicKey,
    });
  });

  it("dedupes on the sender's client message id and acks the duplicate too", async () => {
    const member = h.meshes[0]!.member.publicKey;
    const first = dmTo(member, "once", "cid-1");
    const again = { ...dmTo(member, "once", "cid-1"), messageId: first.messageId };
    expect(await h.broker.control().push(first)).toBe(true);
    expect(await h.broker.control().push(again)).toBe(true);
    expect(h.broker.control().acked).toEqual(["cid-1", "cid-1"]);
    expect((await h.request<InboxResponse>("GET", "/v1/inbox")).body.messages).toHaveLength(1);
  });

  it("stores an undecryptable push as a notice, never as base64", async () => {
    const member = h.meshes[0]!.member.publicKey;
    const garbage = toBase64(new Uint8Array(40).fill(7));
    await h.broker.control().push(
      pushFrame({
        meshId: meshId(),
        senderPubkey: peer.publicKey,
        senderName: "peer",
        targetSpec: member,
        nonce: toBase64(new Uint8Array(24)),
        ciphertext: garbage,
      }),
    );
    const [message] = (await h.request<InboxResponse>("GET", "/v1/inbox")).body.messages;
    expect(message).toMatchObject({ undecryptable: true, body: "message from peer could not be decrypted" });
    expect(message!.body).not.toContain(garbage);
  });

  it("marks surfaced per viewer: a session's mark does not hide it from the member view", async () => {
    const a = await register("a");
    const member = h.meshes[0]!.member.publicKey;
    const push = dmTo(member, "shared");
    await h.broker.control().push(push);
    const marked = await h.request("POST", "/v1/inbox/surfaced", {
      token: a.token,
      body: { ids: [push.messageId], lane: "prompt" },
    });
    expect(marked.body).toMatchObject({ ok: true, marked: 1 });
    const unreadA = await h.request<InboxResponse>("GET", "/v1/inbox?unread=1", { token: a.token });
    expect(unreadA.body.messages).toEqual([]);
    const unreadMember = await h.request<InboxResponse>("GET", "/v1/inbox?unread=1");
    expect(unreadMember.body.messages.map((m) => m.body)).toEqual(["shared"]);
    const allA = await h.request<InboxResponse>("GET", "/v1/inbox", { token: a.token });
    expect(allA.body.messages[0]?.surfaced).toBe(true);
  });

  it("opens a DM addressed to a session that ended when it reaches the member", async () => {
    const gone = await register("gone");
    await h.request("DELETE", `/v1/sessions/${gone.token}`);
    await h.broker.control().push(dmTo(gone.session_pubkey, "reply to an old session"));
    const [message] = (await h.request<InboxResponse>("GET", "/v1/inbox")).body.messages;
    expect(message).toMatchObject({ body: "reply to an old session", encrypted: true });
    expect(message!.undecryptable).toBeUndefined();
  });

  it("reports each session's channel_flag from its registration, also after a daemon restart", async () => {
    const launched = await register("with-flag", process.pid, { channel_flag: true });
    const plain = await register("without-flag");
    const flags = async (): Promise<Record<string, boolean>> =>
      Object.fromEntries(
        (await h.request<{ sessions: SessionInfo[] }>("GET", "/v1/sessions")).body.sessions.map((s) => [
          s.session_id,
          s.channel_flag,
        ]),
      );
    expect(await flags()).toEqual({ "with-flag": true, "without-flag": false });
    const me = await h.request<SessionInfo>("GET", "/v1/sessions/me", { token: launched.token });
    expect(me.body.channel_flag).toBe(true);
    await h.restart();
    expect(await flags()).toEqual({ "with-flag": true, "without-flag": false });
    const after = await h.request<SessionInfo>("GET", "/v1/sessions/me", { token: plain.token });
    expect(after.body.channel_flag).toBe(false);
  });

  it("takes back live sessions after a daemon restart (same token, same key)", async () => {
    const reg = await register("survivor");
    await h.restart();
    const me = await h.request<SessionInfo>("GET", "/v1/sessions/me", { token: reg.token });
    expect(me).toMatchObject({
      status: 200,
      body: { session_id: "survivor", session_pubkey: reg.session_pubkey },
    });
    expect(h.broker.sessionLink(reg.session_pubkey).connected).toBe(true);
  });

  it("a session cannot mark another session's message", async () => {
    const a = await register("a");
    const b = await register("b");
    const push = dmTo(b.session_pubkey, "for b only");
    await h.broker.sessionLink(b.session_pubkey).push(push);
    const res = await h.request("POST", "/v1/inbox/surfaced", {
      token: a.token,
      body: { ids: [push.messageId] },
    });
    expect(res.body).toMatchObject({ marked: 0 });
    const unreadB = await h.request<InboxResponse>("GET", "/v1/inbox?unread=1", { token: b.token });
    expect(unreadB.body.messages).toHaveLength(1);
  });
});

describe("send and the outbox", () => {
  it("encrypts at accept time, sends the exact bytes with their fingerprint, and answers sent", async () => {
    const res = await h.request<SendResponse>("POST", "/v1/send", {
      body: { to: "peer", message: "hi peer" },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: "sent",
      recipient_online: true,
      target: { spec: peer.publicKey, kind: "member" },
    });
    expect(res.body.broker_message_id).toMatch(/^[A-Za-z0-9]{32}$/);
    const [{ input, link }] = h.broker.sent as [(typeof h.broker.sent)[number]];
    expect(link.kind).toBe("member");
    expect(input.clientMessageId).toBe(res.body.message_id);
    expect(input.requestFingerprint).toBe(
      requestFingerprint({
        targetSpec: input.targetSpec,
        priority: input.priority,
        nonce: input.nonce,
        ciphertext: input.ciphertext,
      }),
    );
    expect(boxDecrypt(input.ciphertext, input.nonce, h.meshes[0]!.member.publicKey, peer.secretKey)).toBe(
      "hi peer",
    );
  });

  it("is idempotent on client_message_id: same content → original result, other content → 409", async () => {
    const body = { to: "peer", message: "once", client_message_id: "fixed-id" };
    const first = await h.request<SendResponse>("POST", "/v1/send", { body });
    const retry = await h.request<SendResponse>("POST", "/v1/send", { body });
    expect(retry.body).toEqual(first.body);
    expect(h.broker.sent).toHaveLength(1);
    const reuse = await h.request("POST", "/v1/send", { body: { ...body, message: "different" } });
    expect(reuse).toMatchObject({ status: 409, body: { error: "idempotency_key_reused" } });
    expect(h.broker.sent).toHaveLength(1);
  });

  it("answers queued while the broker is down and delivers after it comes back", async () => {
    // Names resolve against the roster last seen while connected: the daemon keeps one from its first
    // connect, though nothing listed the members yet.
    await waitUntil(() => h.daemon.outbox.store.cachedRoster(meshId()) !== null);
    h.broker.setUp(false);
    const res = await h.request<SendResponse>("POST", "/v1/send", { body: { to: "peer", message: "later" } });
    expect(res).toMatchObject({ status: 202, body: { status: "queued", broker_message_id: null } });
    expect(h.broker.sent).toHaveLength(0);
    h.broker.setUp(true);
    const row = await waitUntil(() => {
      const current = h.daemon.outbox.store.get(res.body.message_id);
      return current?.status === "done" && current;
    });
    expect(row.broker_message_id).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(h.broker.sent).toHaveLength(1);
  });

  it("while the broker is down, still finds a session by the name it was last seen with, and queues", async () => {
    const sessionKey = generateIdentity().publicKey;
    const member = h.meshes[0]!.member.publicKey;
    h.broker.peers = [
      {
        pubkey: sessionKey,
        memberPubkey: member,
        displayName: "reviewer-cc",
        status: "idle",
        summary: null,
        groups: [],
        sessionId: "other",
        connectedAt: "",
        cwd: "/",
        peerRole: "session",
      },
    ];
    expect((await h.request<PeersResponse>("GET", "/v1/peers")).status).toBe(200);
    expect((await h.request("GET", "/v1/members")).status).toBe(200);
    h.broker.setUp(false);
    const res = await h.request<SendResponse>("POST", "/v1/send", {
      body: { to: "reviewer-cc", message: "during the restart" },
    });
    expect(res).toMatchObject({ status: 202, body: { status: "queued", broker_message_id: null } });
    h.broker.setUp(true);
    await waitUntil(() => h.daemon.outbox.store.get(res.body.message_id)?.status === "done");
    expect(h.broker.sent.map((s) => s.input.targetSpec)).toEqual([sessionKey]);
  });

  it("answers queued when the ack does not come within wait_ms, and the row settles later", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const original = h.broker.ack.bind(h.broker);
    h.broker.ack = async (input, link) => {
      await gate;
      return original(input, link);
    };
    const res = await h.request<SendResponse>("POST", "/v1/send", {
      body: { to: "peer", message: "slow", wait_ms: 50 },
    });
    expect(res.body).toMatchObject({ status: "queued", broker_message_id: null });
    release();
    await waitUntil(() => h.daemon.outbox.store.get(res.body.message_id)?.status === "done");
  });

  it("marks a permanent ack error dead at once, reports it, and requeue retries with the same bytes", async () => {
    h.broker.ackWith = () => ({
      messageId: "",
      queued: false,
      error: "no_recipient: not_found: target matches nothing",
    });
    const res = await h.request("POST", "/v1/send", { body: { to: "peer", message: "nobody" } });
    expect(res).toMatchObject({ status: 422, body: { error: "no_recipient" } });
    const id = res.body.message_id as string;
    const dead = await h.request<{ items: OutboxItem[] }>("GET", "/v1/outbox?status=dead");
    expect(dead.body.items).toMatchObject([{ id, status: "dead", attempts: 1 }]);
    expect(dead.body.items[0]!.last_error).toContain("no_recipient");

    h.broker.ackWith = () => ({ messageId: "B".repeat(32), queued: true, recipientOnline: false });
    const requeued = await h.request("POST", "/v1/outbox/requeue", { body: { id } });
    expect(requeued.status).toBe(200);
    await waitUntil(() => h.daemon.outbox.store.get(id)?.status === "done");
    const [first, second] = h.broker.sent;
    expect(second!.input.ciphertext).toBe(first!.input.ciphertext);
    expect(second!.input.nonce).toBe(first!.input.nonce);
    expect((await h.request("POST", "/v1/outbox/requeue", { body: { id } })).status).toBe(409);
  });

  it("retries transient failures with backoff", async () => {
    let calls = 0;
    h.broker.ackWith = () => {
      calls += 1;
      return calls === 1
        ? { messageId: "", queued: false, error: "internal: db hiccup" }
        : { messageId: "C".repeat(32), queued: true };
    };
    const res = await h.request<SendResponse>("POST", "/v1/send", {
      body: { to: "peer", message: "retry me", wait_ms: 0 },
    });
    await waitUntil(() => h.daemon.outbox.store.get(res.body.message_id)?.status === "done", {
      timeoutMs: 5_000,
    });
    expect(calls).toBe(2);
  });

  it("a send held back by a rate limit answers queued with the reason", async () => {
    h.broker.ackWith = () => ({
      messageId: "",
      queued: false,
      error: "rate_limit: max 60 msg/min (burst 10)",
    });
    const body = { to: "peer", message: "slow down", client_message_id: "rate-limited", wait_ms: 0 };
    await h.request<SendResponse>("POST", "/v1/send", { body });
    await waitUntil(() => h.daemon.outbox.store.get("rate-limited")?.last_error?.startsWith("rate_limit"));
    const again = await h.request<SendResponse>("POST", "/v1/send", { body });
    expect(again.body).toMatchObject({
      status: "queued",
      last_error: "rate_limit: max 60 msg/min (burst 10)",
    });
  });

  it("resets inflight rows on restart and the broker's dedupe makes the resend harmless", async () => {
    h.broker.ackWith = () => "hang";
    const res = await h.request<SendResponse>("POST", "/v1/send", {
      body: { to: "peer", message: "crash", wait_ms: 20 },
    });
    expect(h.daemon.outbox.store.get(res.body.message_id)?.status).toBe("inflight");
    h.broker.ackWith = () => ({ messageId: "D".repeat(32), queued: true });
    await h.restart();
    await waitUntil(() => h.daemon.outbox.store.get(res.body.message_id)?.status === "done");
    expect(h.broker.sent).toHaveLength(2);
    expect(h.broker.sent[1]!.input.clientMessageId).toBe(res.body.message_id);
  });

  it("refuses unknown and ambiguous targets with candidates, and writes nothing", async () => {
    const unknown = await h.request("POST", "/v1/send", { body: { to: "pere", message: "x" } });
    expect(unknown).toMatchObject({ status: 404, body: { error: "unknown_target" } });
    expect((unknown.body.candidates as Array<{ display_name: string }>)[0]?.display_name).toBe("peer");
    expect((await h.request<{ items: unknown[] }>("GET", "/v1/outbox")).body.items).toEqual([]);
  });

  it("finds a member who joined after the roster was cached by asking the broker once more", async () => {
    const link = h.broker.links[0]!;
    let listed = 0;
    const listMembers = link.listMembers;
    link.listMembers = () => {
      listed += 1;
      return listMembers();
    };
    // The first send leaves the roster cached.
    expect((await h.request("POST", "/v1/send", { body: { to: "peer", message: "first" } })).status).toBe(
      202,
    );
    const newcomer = generateIdentity();
    h.broker.members = [
      ...h.broker.members,
      {
        memberId: "m-u3",
        pubkey: newcomer.publicKey,
        displayName: "u3",
        role: "member",
        online: false,
        joinedAt: "2026-01-01T00:00:00.000Z",
      },
    ];
    const before = listed;
    const res = await h.request<SendResponse>("POST", "/v1/send", { body: { to: "u3", message: "welcome" } });
    expect(res).toMatchObject({
      status: 202,
      body: { target: { spec: newcomer.publicKey, kind: "member" } },
    });
    expect(listed).toBe(before + 1);
    // A name no one has is still refused, after one more look and no more.
    const typo = await h.request("POST", "/v1/send", { body: { to: "u4", message: "x" } });
    expect(typo).toMatchObject({ status: 404, body: { error: "unknown_target" } });
    expect(listed).toBe(before + 2);
  });

  it("a session sends on its own connection with its session key", async () => {
    const reg = await register("sender");
    const res = await h.request<SendResponse>("POST", "/v1/send", {
      token: reg.token,
      body: { to: "peer", message: "from session" },
    });
    expect(res.body.status).toBe("sent");
    const sent = h.broker.sent[0]!;
    expect(sent.link.routeKey).toBe(reg.session_pubkey);
    expect(boxDecrypt(sent.input.ciphertext, sent.input.nonce, reg.session_pubkey, peer.secretKey)).toBe(
      "from session",
    );
  });

  it("encrypts broadcasts as bodyVersion 2 under the broadcast key", async () => {
    const res = await h.request<SendResponse>("POST", "/v1/send", { body: { to: "*", message: "all" } });
    expect(res.body.target.kind).toBe("broadcast");
    expect(h.broker.sent[0]!.input.bodyVersion).toBe(2);
  });

  it("maps message status states", async () => {
    const res = await h.request<SendResponse>("POST", "/v1/send", {
      body: { to: "peer", message: "status?" },
    });
    const brokerId = res.body.broker_message_id!;
    h.broker.statuses.set(brokerId, {
      type: "message_status_result",
      messageId: brokerId,
      targetSpec: peer.publicKey,
      delivered: false,
      deliveredAt: null,
      recipients: [
        { name: "peer", pubkey: peer.publicKey, status: "disconnected" },
        { name: "x", pubkey: "f".repeat(64), status: "delivered" },
        { name: "y", pubkey: "e".repeat(64), status: "held" },
        { name: "z", pubkey: "d".repeat(64), status: "expired" },
      ],
    });
    for (const id of [res.body.message_id, brokerId]) {
      const status = await h.request<MessageStatusResponse>("GET", `/v1/messages/${id}/status`);
      expect(status.body).toMatchObject({
        message_id: res.body.message_id,
        broker_message_id: brokerId,
        outbox_status: "done",
      });
      expect(status.body.recipients.map((r) => r.state)).toEqual(["queued", "delivered", "held", "expired"]);
    }
  });

  it("says a client message id it never sent is known only to the daemon that sent it, and how to ask", async () => {
    const unknown = await h.request("GET", "/v1/messages/01a25194-7c1e-7000-8000-000000000000/status");
    expect(unknown).toMatchObject({
      status: 404,
      body: {
        error: "not_found",
        message: expect.stringContaining("known only to the daemon that sent the message"),
        hint: expect.stringContaining("broker message id"),
      },
    });
  });
});

describe("peers, presence, moderation, meshes", () => {
  it("maps peers: member key as pubkey, session key apart, control-plane hidden unless all", async () => {
    const reg = await register("me-session");
    const mine = h.meshes[0]!.member.publicKey;
    h.broker.peers = [
      {
        pubkey: mine,
        memberPubkey: mine,
        displayName: "me",
        status: "idle",
        summary: null,
        groups: [],
        sessionId: `daemon-${process.pid}`,
        connectedAt: "",
        cwd: "/",
        peerRole: "control-plane",
      },
      {
        pubkey: reg.session_pubkey,
        memberPubkey: mine,
        displayName: "s-me-session",
        status: "working",
        summary: "x",
        groups: [{ name: "dev" }],
        sessionId: "me-session",
        connectedAt: "",
        cwd: "/w",
        peerRole: "session",
      },
    ];
    const visible = await h.request<PeersResponse>("GET", "/v1/peers", { token: reg.token });
    expect(visible.body.peers).toEqual([
      {
        mesh: "alpha",
        display_name: "s-me-session",
        pubkey: mine,
        session_pubkey: reg.session_pubkey,
        peer_role: "session",
        peer_type: null,
        channel: null,
        status: "working",
        summary: "x",
        groups: ["dev"],
        cwd: "/w",
        this_session: true,
        self: true,
      },
    ]);
    const all = await h.request<PeersResponse>("GET", "/v1/peers?all=1");
    expect(all.body.peers.map((p) => [p.peer_role, p.session_pubkey, p.this_session])).toEqual([
      ["control-plane", null, false],
      ["session", reg.session_pubkey, false],
    ]);
  });

  it("relays status on the caller's session connection, else on the member connection", async () => {
    const reg = await register("busy");
    await h.request("POST", "/v1/status", { token: reg.token, body: { status: "working", source: "hook" } });
    expect(h.broker.sessionLink(reg.session_pubkey).statuses).toEqual([
      { status: "working", source: "hook" },
    ]);
    await h.request("POST", "/v1/status", { body: { status: "dnd" } });
    expect(h.broker.control().statuses).toEqual([{ status: "dnd", source: "manual" }]);
  });

  it("keeps the member's own status across a daemon restart and sets it again on connect", async () => {
    await h.request("POST", "/v1/status", { body: { status: "dnd" } });
    await h.restart();
    await waitUntil(() => h.broker.control().statuses.length > 0);
    expect(h.broker.control().statuses).toEqual([{ status: "dnd", source: "manual" }]);
    const shown = await h.request<{ statuses: Array<{ status: string; source: string }> }>(
      "GET",
      "/v1/status",
    );
    expect(shown.body.statuses).toEqual([expect.objectContaining({ status: "dnd", source: "manual" })]);
  });

  it("disables a banned mesh, reports it in health and refuses routes for it", async () => {
    h.broker.control().terminate({
      code: 4002,
      reason: "banned",
      errorCode: "revoked",
      message: "Contact the mesh owner to rejoin.",
    });
    const health = await h.request<HealthResponse>("GET", "/v1/health");
    expect(health.body.meshes[0]).toMatchObject({ state: "disabled", connected: false });
    expect(health.body.meshes[0]!.last_error).toContain("Contact the mesh owner to rejoin.");
    const send = await h.request("POST", "/v1/send", { body: { to: "peer", message: "x" } });
    expect(send).toMatchObject({ status: 403, body: { error: "mesh_disabled" } });
    expect((await h.request("GET", "/v1/peers?mesh=alpha")).status).toBe(403);
    expect(send.body).toMatchObject({ hint: expect.stringContaining("daemon up") });
    // After an unban, a reload (`claudemesh daemon up`) connects again.
    const reload = await h.request<{ attached: string[] }>("POST", "/v1/meshes/reload");
    expect(reload.body.attached).toEqual(["alpha"]);
    await waitUntil(() => h.daemon.meshes[0]?.state === "connected");
    expect((await h.request("GET", "/v1/peers?mesh=alpha")).status).toBe(200);
  });

  it("leave sends leave_mesh and disables the mesh, which a reload does not bring back", async () => {
    const res = await h.request("POST", "/v1/meshes/leave", { body: { mesh: "alpha" } });
    expect(res).toMatchObject({ status: 200, body: { ok: true, member_id: "member-alpha" } });
    expect(h.daemon.meshes[0]!.state).toBe("disabled");
    const send = await h.request("POST", "/v1/send", { body: { to: "peer", message: "x" } });
    expect(send.body).toMatchObject({ hint: expect.stringContaining("claudemesh join") });
    expect((await h.request<{ attached: string[] }>("POST", "/v1/meshes/reload")).body.attached).toEqual([]);
  });

  it("relays kick, ban and unban", async () => {
    expect((await h.request("POST", "/v1/moderation/kick", { body: { target: "peer" } })).body).toMatchObject(
      { kicked: ["peer"], skipped_control_plane: [] },
    );
    expect((await h.request("POST", "/v1/moderation/ban", { body: { target: "peer" } })).body).toMatchObject({
      banned: "peer",
    });
    expect(
      (await h.request("POST", "/v1/moderation/unban", { body: { target: "peer" } })).body,
    ).toMatchObject({ unbanned: "peer" });
  });

  it("attaches a mesh joined while running on reload", async () => {
    const beta = makeMesh("beta");
    saveConfig({ version: 1, meshes: [h.meshes[0]!.config, beta.config] }, `${h.dir}/config.json`);
    const res = await h.request("POST", "/v1/meshes/reload");
    expect(res.body).toMatchObject({ attached: ["beta"], detached: [] });
    expect(h.broker.control(beta.config.mesh_id).connected).toBe(true);
    const health = await h.request<HealthResponse>("GET", "/v1/health");
    expect(health.body.meshes.map((m) => m.slug)).toEqual(["alpha", "beta"]);
  });

  it("on reload, a mesh and a session waiting to reconnect try again at once", async () => {
    const alpha = h.meshes[0]!.config;
    const session = h.broker.sessionLink((await register("waiting")).session_pubkey);
    h.broker.setUp(false);
    // Back, but the links are still waiting out their backoff.
    h.broker.up = true;
    expect(h.broker.control(alpha.mesh_id).connected).toBe(false);
    expect(session.connected).toBe(false);
    expect((await h.request("POST", "/v1/meshes/reload")).body).toMatchObject({
      attached: [],
      detached: [],
      retried: ["alpha"],
    });
    expect(h.broker.control(alpha.mesh_id).connected).toBe(true);
    expect(session.connected).toBe(true);
    expect((await h.request("POST", "/v1/meshes/reload")).body).toMatchObject({ retried: [] });
  });

  it("reconnects a mesh whose broker URL list changed, handing the client every URL", async () => {
    const alpha = h.meshes[0]!.config;
    const memberLinks = () =>
      h.broker.links.filter((l) => l.options.meshId === alpha.mesh_id && l.kind === "member" && !l.closed);
    expect(memberLinks().map((l) => l.options.url)).toEqual([[alpha.broker_url]]);
    const urls = [alpha.broker_url, "ws://127.0.0.1:2/ws"];
    saveConfig({ version: 1, meshes: [{ ...alpha, broker_urls: urls }] }, `${h.dir}/config.json`);
    expect((await h.request("POST", "/v1/meshes/reload")).body).toMatchObject({
      attached: ["alpha"],
      detached: ["alpha"],
    });
    expect(memberLinks().map((l) => l.options.url)).toEqual([urls]);
    // The same list again is no change.
    expect((await h.request("POST", "/v1/meshes/reload")).body).toMatchObject({ attached: [], detached: [] });
    const reordered = [urls[1]!, urls[0]!];
    saveConfig(
      { version: 1, meshes: [{ ...alpha, broker_url: reordered[0]!, broker_urls: reordered }] },
      `${h.dir}/config.json`,
    );
    expect((await h.request("POST", "/v1/meshes/reload")).body).toMatchObject({ detached: ["alpha"] });
    expect(memberLinks().map((l) => l.options.url)).toEqual([reordered]);
  });

  it("attaches a mesh written to config.json while running, without a reload call", async () => {
    const watched = await startHarness(undefined, { watchConfig: true });
    try {
      const beta = makeMesh("beta");
      saveConfig(
        { version: 1, meshes: [watched.meshes[0]!.config, beta.config] },
        `${watched.dir}/config.json`,
      );
      await waitUntil(() => watched.daemon.meshes.some((m) => m.slug === "beta" && m.state === "connected"));
      saveConfig({ version: 1, meshes: [beta.config] }, `${watched.dir}/config.json`);
      await waitUntil(() => watched.daemon.meshes.map((m) => m.slug).join() === "beta");
      expect(
        watched.broker.links.find((l) => l.options.meshId === watched.meshes[0]!.config.mesh_id)?.saidBye,
      ).toBe(true);
    } finally {
      await watched.close();
    }
  });

  it("shutdown asks the process to stop", async () => {
    expect((await h.request("POST", "/v1/shutdown")).status).toBe(200);
    expect(h.shutdownRequests).toBe(1);
  });
});
