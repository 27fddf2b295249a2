/**
 * An in-memory stand-in for the broker side of the daemon's connections, for in-process route tests (the
 * real broker is exercised by daemon-broker.test.ts). Each link records what the daemon sends and lets the
 * test push frames and fire connection events.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ClientErrorCode,
  MeshClientError,
  type MeshClientOptions,
  type TerminalInfo,
} from "../../src/client/index.js";
import {
  generateIdentity,
  randomBytes,
  randomMessageId,
  toBase64Url,
  type Identity,
} from "../../src/crypto/index.js";
import { saveConfig, type MeshConfig } from "../../src/host/config.js";
import type {
  AckFrame,
  HelloAck,
  MemberEntry,
  MessageStatusResult,
  PeerEntry,
  PresenceStatus,
  PushFrame,
} from "../../src/protocol/index.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { createApp, type DaemonApp } from "../../src/daemon/ipc/app.js";
import { ROUTES } from "../../src/daemon/ipc/routes/index.js";
import type { BrokerLink, LinkFactory } from "../../src/daemon/links.js";
import { silentLogger } from "../../src/daemon/logger.js";
import type { SendInput } from "../../src/client/index.js";

type Listener = (arg: unknown) => void;

export class FakeLink implements BrokerLink {
  readonly options: MeshClientOptions;
  readonly broker: FakeBroker;
  helloAck: HelloAck | null = null;
  pushHandler: ((push: PushFrame) => void | Promise<void>) | null = null;
  systemHandlers: Array<(event: PushFrame & { subtype: "system" }) => void> = [];
  listeners = new Map<string, Listener[]>();
  saidBye = false;
  closed = false;
  statuses: Array<{ status: PresenceStatus; source: string | undefined }> = [];
  acked: string[] = [];

  constructor(broker: FakeBroker, options: MeshClientOptions) {
    this.broker = broker;
    this.options = options;
  }

  get connected(): boolean {
    return this.helloAck !== null;
  }
  /** Set to keep a connection that comes up from having received its backlog until `sendBacklog()`. */
  holdBacklog = false;
  #backlogSent = false;
  get backlogReceived(): boolean {
    return this.connected && this.#backlogSent;
  }
  /** The broker's `backlog_sent` for the current connection. */
  sendBacklog(): void {
    if (!this.connected || this.#backlogSent) return;
    this.#backlogSent = true;
    this.emit("backlog", undefined);
  }
  get kind(): "member" | "session" {
    return this.options.session === undefined ? "member" : "session";
  }
  /** The key this link is routed by. */
  get routeKey(): string {
    return this.options.session?.sessionKey.publicKey ?? this.options.identity.publicKey;
  }

  on: BrokerLink["on"] = (event, listener) => {
    const list = this.listeners.get(event) ?? [];
    list.push((arg) => (listener as (a: unknown) => void)(arg));
    this.listeners.set(event, list);
    return () => undefined;
  };
  emit(event: "connected" | "disconnected" | "terminal" | "backlog", arg: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(arg);
  }

  onPush: BrokerLink["onPush"] = (handler) => {
    this.pushHandler = handler;
    return () => undefined;
  };
  onSystemEvent: BrokerLink["onSystemEvent"] = (handler) => {
    this.systemHandlers.push(handler);
    return () => undefined;
  };

  connect: BrokerLink["connect"] = async () => {
    if (this.broker.up) this.goOnline();
    return this.helloAck ?? { type: "hello_ack", presenceId: "p", memberDisplayName: "x" };
  };
  goOnline(): void {
    if (this.closed || this.helloAck !== null) return;
    this.helloAck = {
      type: "hello_ack",
      presenceId: `p-${Math.random()}`,
      memberDisplayName: "x",
      features: ["ok_replies"],
    };
    this.#backlogSent = false;
    this.emit("connected", this.helloAck);
    if (!this.holdBacklog) this.sendBacklog();
  }
  goOffline(): void {
    if (this.helloAck === null) return;
    this.helloAck = null;
    this.emit("disconnected", { code: 1006, reason: "", willReconnect: true, retryInMs: 1000 });
  }
  terminate(info: TerminalInfo): void {
    this.helloAck = null;
    this.emit("disconnected", { code: info.code, reason: info.reason, willReconnect: false });
    this.emit("terminal", info);
  }
  bye: BrokerLink["bye"] = async () => {
    this.saidBye = true;
    this.closed = true;
    this.helloAck = null;
  };
  close: BrokerLink["close"] = async () => {
    this.closed = true;
    this.helloAck = null;
  };
  /** Offline and not closed: a real link would be waiting out its backoff. */
  retryNow: BrokerLink["retryNow"] = () => {
    if (this.closed || this.helloAck !== null) return false;
    if (this.broker.up) this.goOnline();
    // The attempt fails as a real one does: the link closes again and waits out its backoff.
    else
      setImmediate(() =>
        this.emit("disconnected", { code: 1006, reason: "", willReconnect: true, retryInMs: 1000 }),
      );
    return true;
  };

  /** Delivers a push like the client core: handler, then `client_ack` only if it resolved. */
  async push(push: PushFrame): Promise<boolean> {
    if (this.pushHandler === null) return false;
    try {
      await this.pushHandler(push);
    } catch {
      return false;
    }
    this.acked.push(push.client_message_id ?? push.messageId);
    return true;
  }
  system(event: string, eventData: Record<string, unknown>): void {
    const frame = {
      type: "push" as const,
      subtype: "system" as const,
      messageId: "00000000-0000-0000-0000-000000000000",
      meshId: this.options.meshId,
      senderPubkey: "system",
      priority: "low" as const,
      nonce: "",
      ciphertext: "",
      createdAt: new Date().toISOString(),
      event,
      eventData,
    };
    for (const h of this.systemHandlers) h(frame);
  }

  send: BrokerLink["send"] = async (input) => {
    if (!this.connected) throw Object.assign(new Error("not connected"), { code: "not_connected" });
    this.broker.sent.push({ link: this, input });
    return this.broker.ack(input, this);
  };
  // Requests need a connection, as with a real client.
  listPeers: BrokerLink["listPeers"] = async () => this.#online(this.broker.peers);
  listMembers: BrokerLink["listMembers"] = async () => this.#online(this.broker.members);
  #online<T>(answer: T): T {
    if (this.helloAck === null) throw new MeshClientError(ClientErrorCode.notConnected, "not connected");
    return answer;
  }
  messageStatus: BrokerLink["messageStatus"] = async (messageId) => this.broker.status(messageId);
  // State and contexts: an in-memory map per fake broker, enough for daemon tests (no encryption).
  frameHandlers: Array<(frame: { type: string; [k: string]: unknown }) => void> = [];
  onFrame: BrokerLink["onFrame"] = (handler) => {
    this.frameHandlers.push(handler);
    return () => undefined;
  };
  setState: BrokerLink["setState"] = async (key, value) => {
    this.broker.state.set(key, {
      key,
      value,
      updatedBy: this.options.meshId,
      updatedAt: new Date().toISOString(),
    });
  };
  getState: BrokerLink["getState"] = async (key) =>
    this.broker.state.get(key) ?? { key, value: null, updatedBy: "", updatedAt: "" };
  listState: BrokerLink["listState"] = async () => [...this.broker.state.values()];
  shareContext: BrokerLink["shareContext"] = async () => "ctx-1";
  getContext: BrokerLink["getContext"] = async () => [];
  listContexts: BrokerLink["listContexts"] = async () => [];

  meshInfo: BrokerLink["meshInfo"] = async () => ({
    type: "mesh_info_result",
    mesh: this.options.meshId,
    peers: this.broker.links.length,
    groups: [],
    stateKeys: [],
    memoryCount: 0,
    fileCount: 0,
    tasks: { open: 0, claimed: 0, done: 0 },
    streams: [],
    tables: [],
    collections: [],
    yourName: this.options.displayName ?? "",
    yourGroups: (this.options.groups ?? []).map((g) => ({
      name: g.name,
      ...(g.role ? { role: g.role } : {}),
    })),
  });
  setStatus: BrokerLink["setStatus"] = async (status, source) => {
    this.statuses.push({ status, source });
  };
  setSummary: BrokerLink["setSummary"] = async () => undefined;
  joinGroup: BrokerLink["joinGroup"] = async () => undefined;
  leaveGroup: BrokerLink["leaveGroup"] = async () => undefined;
  kick: BrokerLink["kick"] = async (target) => ({
    type: "kick_ack",
    kicked: [target.target ?? ""],
    affected: [],
  });
  ban: BrokerLink["ban"] = async (target) => ({ type: "ban_ack", banned: target });
  unban: BrokerLink["unban"] = async (target) => ({ type: "unban_ack", unbanned: target });
  leaveMesh: BrokerLink["leaveMesh"] = async () => ({
    type: "leave_mesh_ack",
    memberId: this.options.identity.memberId,
  });

  // Memory and skills are tested against a real broker (test/e2e/cli-memory-skills.test.ts).
  remember: BrokerLink["remember"] = () => unsupported("remember");
  recall: BrokerLink["recall"] = () => unsupported("recall");
  forget: BrokerLink["forget"] = () => unsupported("forget");
  shareSkill: BrokerLink["shareSkill"] = () => unsupported("share_skill");
  getSkill: BrokerLink["getSkill"] = () => unsupported("get_skill");
  listSkills: BrokerLink["listSkills"] = () => unsupported("list_skills");
  removeSkill: BrokerLink["removeSkill"] = () => unsupported("remove_skill");
  // Tasks and leases run against real brokers (test/integration, test/e2e); the fake only type-checks.
  createTask: BrokerLink["createTask"] = () => unsupported("create_task");
  claimTask: BrokerLink["claimTask"] = () => unsupported("claim_task");
  completeTask: BrokerLink["completeTask"] = () => unsupported("complete_task");
  listTasks: BrokerLink["listTasks"] = () => unsupported("list_tasks");
  acquireLease: BrokerLink["acquireLease"] = () => unsupported("lease_acquire");
  renewLease: BrokerLink["renewLease"] = () => unsupported("lease_renew");
  releaseLease: BrokerLink["releaseLease"] = () => unsupported("lease_release");
  listLeases: BrokerLink["listLeases"] = () => unsupported("lease_list");
  queryAudit: BrokerLink["queryAudit"] = () => unsupported("audit_query");
  verifyAudit: BrokerLink["verifyAudit"] = () => unsupported("audit_verify");
  createTopic: BrokerLink["createTopic"] = () => unsupported("topic_create");
  listTopics: BrokerLink["listTopics"] = () => unsupported("topic_list");
  joinTopic: BrokerLink["joinTopic"] = () => unsupported("topic_join");
  leaveTopic: BrokerLink["leaveTopic"] = () => unsupported("topic_leave");
  topicMembers: BrokerLink["topicMembers"] = () => unsupported("topic_members");
  topicHistory: BrokerLink["topicHistory"] = () => unsupported("topic_history");
  markTopicRead: BrokerLink["markTopicRead"] = () => unsupported("topic_mark_read");
  claimTopicKey: BrokerLink["claimTopicKey"] = () => unsupported("topic_key_claim");
  getTopicKey: BrokerLink["getTopicKey"] = () => unsupported("topic_key_get");
  pendingTopicSeals: BrokerLink["pendingTopicSeals"] = () => unsupported("topic_pending_seals");
  sealTopicKey: BrokerLink["sealTopicKey"] = () => unsupported("topic_key_seal");
  getFile: BrokerLink["getFile"] = () => unsupported("get_file");
  listFiles: BrokerLink["listFiles"] = () => unsupported("list_files");
  deleteFile: BrokerLink["deleteFile"] = () => unsupported("delete_file");
  schedule: BrokerLink["schedule"] = () => unsupported("schedule");
  listScheduled: BrokerLink["listScheduled"] = () => unsupported("list_scheduled");
  cancelScheduled: BrokerLink["cancelScheduled"] = () => unsupported("cancel_scheduled");
}

/** A request the fake broker does not serve, refused as a real broker refuses an unknown type. */
function unsupported(type: string): Promise<never> {
  return Promise.reject(
    Object.assign(new Error(`the fake broker does not serve ${type}`), { code: "unknown_message_type" }),
  );
}

export class FakeBroker {
  up = true;
  readonly links: FakeLink[] = [];
  readonly sent: Array<{ link: FakeLink; input: SendInput }> = [];
  readonly state = new Map<string, { key: string; value: unknown; updatedBy: string; updatedAt: string }>();
  members: MemberEntry[] = [];
  peers: PeerEntry[] = [];
  /** What the next acks say; by default every send is queued with a fresh id. */
  ackWith: (input: SendInput) => Omit<AckFrame, "type" | "id"> | "hang" = () => ({
    messageId: randomMessageId(),
    queued: true,
    recipientOnline: true,
  });
  readonly #byClientId = new Map<string, string>();
  statuses = new Map<string, MessageStatusResult>();

  readonly factory: LinkFactory = (options) => {
    const link = new FakeLink(this, options);
    this.links.push(link);
    return link;
  };

  ack(input: SendInput, _link: FakeLink): Promise<AckFrame> {
    const answer = this.ackWith(input);
    if (answer === "hang") return new Promise(() => undefined);
    const known =
      input.clientMessageId === undefined ? undefined : this.#byClientId.get(input.clientMessageId);
    if (known !== undefined && answer.queued) {
      return Promise.resolve({
        type: "ack",
        id: input.clientMessageId ?? "",
        ...answer,
        messageId: known,
        duplicate: true,
      });
    }
    if (answer.queued && input.clientMessageId !== undefined)
      this.#byClientId.set(input.clientMessageId, answer.messageId);
    return Promise.resolve({ type: "ack", id: input.clientMessageId ?? "", ...answer });
  }

  status(messageId: string): Promise<MessageStatusResult> {
    const found = this.statuses.get(messageId);
    if (found === undefined)
      return Promise.reject(Object.assign(new Error("not found"), { code: "not_found" }));
    return Promise.resolve(found);
  }

  control(meshId?: string): FakeLink {
    const link = this.links.find(
      (l) => l.kind === "member" && !l.closed && (meshId === undefined || l.options.meshId === meshId),
    );
    if (link === undefined) throw new Error("no control link");
    return link;
  }
  sessionLink(sessionPubkey: string): FakeLink {
    const link = this.links.find((l) => l.kind === "session" && l.routeKey === sessionPubkey && !l.closed);
    if (link === undefined) throw new Error("no session link");
    return link;
  }
  setUp(up: boolean): void {
    this.up = up;
    for (const link of this.links) {
      if (up) link.goOnline();
      else link.goOffline();
    }
  }
}

export interface TestMesh {
  config: MeshConfig;
  member: Identity;
  rootKey: Uint8Array;
}

export function makeMesh(slug: string, displayName = "me"): TestMesh {
  const member = generateIdentity();
  const rootKey = randomBytes(32);
  return {
    member,
    rootKey,
    config: {
      mesh_id: `mesh-${slug}`,
      slug,
      name: slug,
      broker_url: "ws://127.0.0.1:1/ws",
      member_id: `member-${slug}`,
      pubkey: member.publicKey,
      secret_key: member.secretKey,
      root_key: toBase64Url(rootKey),
      display_name: displayName,
      role: "owner",
      joined_at: new Date().toISOString(),
    },
  };
}

export interface Harness {
  dir: string;
  daemon: Daemon;
  app: DaemonApp;
  broker: FakeBroker;
  meshes: TestMesh[];
  shutdownRequests: number;
  /** Every JSON body any request returned (for the no-secrets check). */
  bodies: unknown[];
  request<T = Record<string, unknown>>(
    method: string,
    url: string,
    init?: { token?: string; body?: unknown },
  ): Promise<{ status: number; body: T }>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A daemon on temp files with a fake broker behind every connection. */
export async function startHarness(
  meshes: TestMesh[] = [makeMesh("alpha")],
  options: {
    watchConfig?: boolean;
    members?: (meshes: TestMesh[]) => MemberEntry[];
    inboxSyncWaitMs?: number;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "cm-daemon-"));
  saveConfig({ version: 1, meshes: meshes.map((m) => m.config) }, join(dir, "config.json"));
  const broker = new FakeBroker();
  // The roster the broker has when the daemon first connects.
  broker.members = options.members?.(meshes) ?? [];
  const build = async (): Promise<{ daemon: Daemon; app: DaemonApp }> => {
    const daemon = await Daemon.open({
      paths: {
        config: join(dir, "config.json"),
        outboxDb: join(dir, "outbox.db"),
        inboxDb: join(dir, "inbox.db"),
        sessionKeys: join(dir, "session-keys"),
        sessionsFile: join(dir, "sessions.json"),
      },
      logger: silentLogger(),
      version: "0.0.0-test",
      linkFactory: broker.factory,
      reaper: false,
      watchConfig: options.watchConfig ?? false,
      ...(options.inboxSyncWaitMs === undefined ? {} : { inboxSyncWaitMs: options.inboxSyncWaitMs }),
    });
    daemon.start();
    const app = createApp(daemon, ROUTES, () => {
      harness.shutdownRequests += 1;
    });
    return { daemon, app };
  };
  const first = await build();
  const harness: Harness = {
    dir,
    daemon: first.daemon,
    app: first.app,
    broker,
    meshes,
    shutdownRequests: 0,
    bodies: [],
    async request<T>(method: string, url: string, init: { token?: string; body?: unknown } = {}) {
      const headers = init.token === undefined ? {} : { authorization: `ClaudeMesh-Session ${init.token}` };
      const response = await harness.app.request(method, url, { headers, body: init.body });
      harness.bodies.push(response.body);
      return response as { status: number; body: T };
    },
    async restart() {
      await harness.daemon.stop({ bye: false });
      const next = await build();
      harness.daemon = next.daemon;
      harness.app = next.app;
    },
    async close() {
      await harness.daemon.stop({ bye: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

export function pushFrame(
  fields: Partial<PushFrame> & Pick<PushFrame, "meshId" | "nonce" | "ciphertext" | "senderPubkey">,
): PushFrame {
  return {
    type: "push",
    messageId: randomMessageId(),
    priority: "next",
    createdAt: new Date().toISOString(),
    ...fields,
  };
}
