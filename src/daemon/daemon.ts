/**
 * The daemon core, without sockets or signals: joined meshes (one control-plane connection each, attached
 * and detached as config.json changes), launched sessions (one session connection each), the outbox and
 * its drain, the inbox, and the event hub. The local API (ipc/) and `runDaemon` (run.ts) sit on top.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Identity } from "../crypto/index.js";
import { encryptedTopicOf } from "../client/index.js";
import {
  loadConfig,
  meshBrokerUrls,
  meshNotFound,
  meshRequired,
  type Config,
  type MeshConfig,
  type MeshSelectionError,
} from "../host/config.js";
import type { BrokerStatusEvent } from "../daemon-api/contract.js";
import { Capability, MemberEntry, PresenceStatus, PushFrame } from "../protocol/index.js";
import { watchConfigFile, type ConfigWatch } from "./config-watch.js";
import { EventHub } from "./events.js";
import { decryptionKeys, InboxReceiver } from "./inbox/receive.js";
import { INBOX_RETENTION_MS, InboxStore } from "./inbox/store.js";
import { INBOX_SYNC_WAIT_MS } from "./inbox/sync.js";
import { LocalError } from "./ipc/errors.js";
import { meshClientFactory, type BrokerLink, type LinkFactory } from "./links.js";
import { sessionLinkOptions } from "./meshes/link-options.js";
import { stateChangeEvent } from "./meshes/state-events.js";
import { MeshRuntime } from "./meshes/mesh-runtime.js";
import { streamEventsFor } from "./meshes/system-events.js";
import type { LinkChoice } from "./outbox/drain.js";
import { OutboxService } from "./outbox/service.js";
import { OutboxStore, type OutboxRow } from "./outbox/store.js";
import { SessionKeyStore } from "./sessions/keys.js";
import {
  SessionRegistry,
  type LiveSession,
  type SessionEndReason,
  type SessionRecord,
} from "./sessions/registry.js";

export interface DaemonPaths {
  config: string;
  outboxDb: string;
  inboxDb: string;
  sessionKeys: string;
  sessionsFile: string;
}

export interface DaemonOptions {
  paths: DaemonPaths;
  logger: Logger;
  /** The package version, for `version`. */
  version: string;
  /** @default real `MeshClient`s */
  linkFactory?: LinkFactory;
  /**
   * Re-read config.json when it changes.
   * @default false
   */
  watchConfig?: boolean;
  /**
   * Drop sessions whose process is gone, every 5 s.
   * @default true
   */
  reaper?: boolean;
  /**
   * Run for one command in this process (`--no-daemon`): only this mesh is attached, through a one-shot
   * member connection that takes no messages (`no_inbox`, so nothing meant for the member's daemon lands
   * here) and does not reconnect. Nothing outlives the command: a send must be confirmed by the broker
   * before it answers, and the inbox is the real daemon's.
   */
  oneShot?: { meshId: string };
  /** How often key holders poll `topic_pending_seals` (§5.4). @default 30 s */
  topicSealPollMs?: number;
  /**
   * How long an inbox read with `sync` waits for connections coming up to store what waited at the broker.
   * @default 5 s
   */
  inboxSyncWaitMs?: number;
}

/** How often old inbox rows are deleted. */
const PRUNE_INTERVAL_MS = 3_600_000;

export class Daemon {
  readonly version: string;
  readonly startedAt = Date.now();
  readonly events: EventHub;
  readonly inbox: InboxStore;
  readonly outbox: OutboxService;
  readonly sessions: SessionRegistry;
  readonly #receiver: InboxReceiver;
  readonly #keys: SessionKeyStore;
  readonly #meshes = new Map<string, MeshRuntime>();
  readonly #options: DaemonOptions;
  readonly #factory: LinkFactory;
  readonly #log: Logger;
  #defaultMesh: string | undefined;
  #watcher: ConfigWatch | null = null;
  #pruneTimer: NodeJS.Timeout | null = null;
  #stopping: Promise<void> | null = null;

  /** Opens (and migrates) the daemon's databases and builds it; `start()` sets it going. */
  static async open(options: DaemonOptions): Promise<Daemon> {
    const log = options.logger.child({ component: "daemon" });
    const inbox = await InboxStore.open(options.paths.inboxDb, log);
    let outbox: OutboxStore | null = null;
    try {
      outbox = await OutboxStore.open(options.paths.outboxDb, log);
      return new Daemon(options, inbox, outbox);
    } catch (error) {
      outbox?.close();
      inbox.close();
      throw error;
    }
  }

  private constructor(options: DaemonOptions, inbox: InboxStore, outbox: OutboxStore) {
    this.#options = options;
    this.version = options.version;
    const factory = options.linkFactory ?? meshClientFactory;
    this.#factory = options.oneShot === undefined ? factory : oneShotLinks(factory);
    this.#log = options.logger.child({ component: "daemon" });
    this.inbox = inbox;
    this.events = new EventHub(this.inbox.maxEventId(), (error) =>
      this.#log.error({ err: errorText(error) }, "event listener threw"),
    );
    this.#receiver = new InboxReceiver(this.inbox, this.events, options.logger);
    this.#keys = new SessionKeyStore(options.paths.sessionKeys, (file, problem) =>
      this.#log.warn({ file, problem }, "ignored a session key file"),
    );
    this.outbox = new OutboxService(outbox, options.logger, (row) => this.#linkFor(row));
    this.sessions = new SessionRegistry({
      file: options.paths.sessionsFile,
      keys: this.#keys,
      logger: options.logger,
      openLink: (record, identity) => this.#openSessionLink(record, identity),
      meshSlug: (meshId) => {
        const mesh = this.#meshes.get(meshId);
        return mesh === undefined || mesh.disabled ? null : mesh.slug;
      },
      onEnded: (session, reason) => this.#sessionEnded(session, reason),
    });
  }

  /** Attaches every joined mesh, takes back live sessions, starts the drain and the timers. */
  start(): void {
    this.reload();
    this.sessions.restore();
    this.outbox.start();
    this.inbox.prune(Date.now() - INBOX_RETENTION_MS);
    this.#pruneTimer = setInterval(() => {
      try {
        this.inbox.prune(Date.now() - INBOX_RETENTION_MS);
      } catch (error) {
        this.#log.error({ err: errorText(error) }, "inbox retention failed");
      }
    }, PRUNE_INTERVAL_MS);
    this.#pruneTimer.unref();
    if (this.#options.reaper !== false) this.sessions.startReaper();
    if (this.#options.watchConfig === true) this.#watchConfig();
  }

  /** See {@link DaemonOptions.inboxSyncWaitMs}. */
  get inboxSyncWaitMs(): number {
    return this.#options.inboxSyncWaitMs ?? INBOX_SYNC_WAIT_MS;
  }

  /** Whether this daemon runs for one command only (see {@link DaemonOptions.oneShot}). */
  get oneShot(): boolean {
    return this.#options.oneShot !== undefined;
  }

  // ---- meshes --------------------------------------------------------------------------------------

  get meshes(): MeshRuntime[] {
    return [...this.#meshes.values()];
  }

  meshById(meshId: string): MeshRuntime | undefined {
    return this.#meshes.get(meshId);
  }

  /**
   * The mesh a request is about: the one named (slug or id), else the caller session's, else the only
   * one, else the config's default. Disabled meshes are returned; callers decide (`assertUsable`).
   */
  meshFor(wanted: string | undefined, session: LiveSession | null): MeshRuntime {
    const all = this.meshes;
    if (wanted !== undefined && wanted !== "") {
      const found = all.filter((m) => m.slug === wanted || m.meshId === wanted);
      if (found.length === 1 && found[0] !== undefined) return found[0];
      throw selectionError(meshNotFound(choices(all), wanted));
    }
    if (session !== null) {
      const own = this.#meshes.get(session.mesh_id);
      if (own !== undefined) return own;
    }
    if (all.length === 1 && all[0] !== undefined) return all[0];
    const byDefault = all.find((m) => m.meshId === this.#defaultMesh || m.slug === this.#defaultMesh);
    if (byDefault !== undefined) return byDefault;
    if (all.length === 0) {
      throw new LocalError(
        "no_mesh",
        "you have not joined any mesh",
        "run `claudemesh up` or `claudemesh join <link>`",
      );
    }
    throw selectionError(meshRequired(choices(all)));
  }

  /** The meshes a request is about: the one named, else the caller session's, else every usable one. */
  meshesFor(wanted: string | undefined, session: LiveSession | null): MeshRuntime[] {
    if ((wanted !== undefined && wanted !== "") || session !== null) return [this.meshFor(wanted, session)];
    return this.meshes.filter((m) => !m.disabled);
  }

  /**
   * Re-reads config.json: attaches new meshes, detaches removed ones, reattaches changed ones and ones the
   * broker refused (kicked, banned). A mesh it keeps, or a launched session, that waits to reconnect
   * retries at once: a reload often follows a broker's start.
   */
  reload(): { attached: string[]; detached: string[]; retried: string[] } {
    let config: Config;
    try {
      config = loadConfig(this.#options.paths.config);
    } catch (error) {
      this.#log.error({ err: errorText(error) }, "config is invalid; keeping the meshes attached");
      throw new LocalError("config_invalid", errorText(error), "fix the file or re-run `claudemesh join`");
    }
    this.#defaultMesh = config.default_mesh;
    const only = this.#options.oneShot?.meshId;
    const meshes = only === undefined ? config.meshes : config.meshes.filter((m) => m.mesh_id === only);
    const wanted = new Map(meshes.map((m) => [m.mesh_id, m]));
    const attached: string[] = [];
    const detached: string[] = [];
    for (const [meshId, mesh] of this.#meshes) {
      const next = wanted.get(meshId);
      // A mesh the broker refused (a ban) is tried again with a new connection: it may be lifted.
      if (next === undefined || connectionChanged(mesh.config, next) || mesh.refused) {
        this.#detach(mesh, next === undefined);
        detached.push(mesh.slug);
      }
    }
    const retried: string[] = [];
    for (const mesh of this.#meshes.values()) if (mesh.retryNow()) retried.push(mesh.slug);
    // Launched sessions' connections to the same brokers wait out backoffs of their own.
    for (const session of this.sessions.list())
      if (this.#meshes.has(session.mesh_id)) session.link.retryNow();
    for (const config of wanted.values()) {
      if (this.#meshes.has(config.mesh_id)) continue;
      this.#attach(config);
      attached.push(config.slug);
    }
    if (attached.length > 0 || detached.length > 0 || retried.length > 0) {
      this.#log.info({ attached, detached, retried }, "meshes reloaded");
    }
    this.outbox.drain.kick();
    return { attached, detached, retried };
  }

  /** Disables a mesh after the member left it (the broker then closes with 4002 `left`). */
  async markLeft(mesh: MeshRuntime): Promise<void> {
    mesh.disable("left: You left this mesh. Rejoining needs a new invite.");
    await this.#endSessionsOf(mesh.meshId, "mesh_gone");
  }

  #attach(config: MeshConfig): void {
    const mesh = new MeshRuntime(config, {
      factory: this.#factory,
      logger: this.#options.logger,
      onPush: (m, push) => this.#onPush(m, null, push),
      onSystemEvent: (m, event) => this.#onSystemEvent(m, event),
      onStateChange: (m) => this.#onMeshState(m),
      loadRoster: (meshId) => {
        const cached = this.outbox.store.cachedRoster(meshId);
        if (cached === null) return null;
        const parsed = MemberEntry.array().safeParse(cached);
        return parsed.success ? parsed.data : null;
      },
      saveRoster: (meshId, members) => this.outbox.store.cacheRoster(meshId, members),
      loadStatus: (meshId) => {
        const kept = this.outbox.store.memberStatus(meshId);
        const status = PresenceStatus.safeParse(kept?.status);
        return kept && status.success ? { status: status.data, source: "manual", at: kept.at } : null;
      },
      saveStatus: (meshId, wanted) => this.outbox.store.saveMemberStatus(meshId, wanted.status, wanted.at),
      onTopicKey: (m, topicId) => this.#releaseHeld(m, topicId),
      ...(this.#options.topicSealPollMs === undefined
        ? {}
        : { topicSealPollMs: this.#options.topicSealPollMs }),
    });
    this.#meshes.set(config.mesh_id, mesh);
    // State changes reach the member connection (every presence but the writer's): one event each.
    mesh.control.onFrame((frame) => {
      if (frame.type !== "state_change") return;
      const event = stateChangeEvent(mesh.slug, mesh.rootKey, frame);
      if (event !== null)
        this.events.publish("state_change", event, { meshId: mesh.meshId, sessionPubkey: null });
    });
    mesh.start();
  }

  #detach(mesh: MeshRuntime, left: boolean): void {
    this.#meshes.delete(mesh.meshId);
    void this.#endSessionsOf(mesh.meshId, "mesh_gone");
    // Removed from the config (left, or keys deleted): say goodbye so peers see it leave at once.
    void mesh.stop(left);
  }

  /** Ends every session of the mesh; one that cannot be ended (its file not written) is logged, not thrown. */
  async #endSessionsOf(meshId: string, reason: SessionEndReason): Promise<void> {
    const sessions = this.sessions.list().filter((s) => s.mesh_id === meshId);
    const results = await Promise.allSettled(sessions.map((s) => this.sessions.end(s, reason)));
    for (const result of results) {
      if (result.status === "rejected")
        this.#log.error({ err: errorText(result.reason), meshId }, "ending a session failed");
    }
  }

  #onMeshState(mesh: MeshRuntime): void {
    const data: BrokerStatusEvent = { mesh: mesh.slug, state: mesh.state, last_error: mesh.lastError };
    this.events.publish("broker_status", data, { meshId: mesh.meshId, sessionPubkey: null });
    if (mesh.state === "connected") this.outbox.drain.wake(mesh.meshId);
    if (mesh.disabled) void this.#endSessionsOf(mesh.meshId, "mesh_gone");
  }

  // ---- pushes --------------------------------------------------------------------------------------

  #onPush(mesh: MeshRuntime, session: { pubkey: string } | null, push: PushFrame): void {
    const sessionPubkey = session?.pubkey ?? null;
    const topicId = encryptedTopicOf(push);
    if (topicId !== null && mesh.topics.cached(topicId) === undefined) {
      // Not lost, never shown as bytes: kept until this member's copy of the key arrives (§5.4).
      this.inbox.hold({ meshId: mesh.meshId, topicId, viaSession: sessionPubkey, push }, Date.now());
      mesh.topics
        .fetch(topicId, false)
        .catch((error: unknown) => this.#log.debug({ err: errorText(error) }, "topic key not available yet"));
      return;
    }
    this.#receive(mesh, sessionPubkey, push);
  }

  #receive(mesh: MeshRuntime, sessionPubkey: string | null, push: PushFrame): void {
    const secretKeys = decryptionKeys(
      { pubkey: mesh.config.pubkey, secret: mesh.config.secret_key },
      this.#keys.secretsFor(mesh.meshId),
      sessionPubkey,
    );
    this.#receiver.receive(
      {
        meshId: mesh.meshId,
        slug: mesh.slug,
        rootKey: mesh.rootKey,
        sessionPubkey,
        memberPubkey: mesh.config.pubkey,
        secretKeys,
        topicKeys: mesh.topics.keys(),
        // The broker sends the topic's id; the name is what people read (the target as sent, failing that).
        topicName:
          push.topicId === undefined
            ? null
            : (mesh.topics.nameOf(push.topicId) ?? push.targetSpec?.replace(/^#/, "") ?? null),
      },
      push,
    );
  }

  /** The pushes kept for a topic whose key just arrived go to the inbox now. */
  #releaseHeld(mesh: MeshRuntime, topicId: string): void {
    for (const held of this.inbox.held(mesh.meshId, topicId)) {
      const parsed = PushFrame.safeParse(held.push);
      try {
        if (parsed.success) this.#receive(mesh, held.viaSession, parsed.data);
        this.inbox.release(held.messageId);
      } catch (error) {
        this.#log.warn(
          { err: errorText(error), message_id: held.messageId },
          "a kept topic push could not be stored",
        );
      }
    }
  }

  #onSystemEvent(mesh: MeshRuntime, event: PushFrame): void {
    for (const { name, data } of streamEventsFor(mesh.slug, event))
      this.events.publish(name, data, { meshId: mesh.meshId, sessionPubkey: null });
  }

  // ---- sessions ------------------------------------------------------------------------------------

  #openSessionLink(record: SessionRecord, identity: Identity): BrokerLink {
    const mesh = this.#meshes.get(record.mesh_id);
    if (mesh === undefined) throw new Error(`mesh ${record.mesh_id} is not attached`);
    const config = mesh.config;
    const link = this.#factory(sessionLinkOptions(config, record, identity, this.#options.logger));
    const log = this.#log.child({ mesh: config.slug, session_pubkey: record.pubkey.slice(0, 12) });
    link.onPush((push) => this.#onPush(mesh, { pubkey: record.pubkey }, push));
    link.on("connected", () => this.outbox.drain.wake(mesh.meshId));
    link.on("terminal", (info) => {
      log.warn({ code: info.code, reason: info.reason }, "session connection stopped");
      this.events.publish(
        "system",
        {
          mesh: config.slug,
          event: "session_connection_stopped",
          data: { code: info.code, reason: info.reason, message: info.message },
        },
        { meshId: mesh.meshId, sessionPubkey: record.pubkey },
      );
    });
    link.connect().catch((error: unknown) => log.warn({ err: errorText(error) }, "session connect failed"));
    return link;
  }

  #sessionEnded(session: LiveSession, reason: SessionEndReason): void {
    this.events.publish(
      "session_end",
      { session_pubkey: session.pubkey, session_id: session.session_id, mesh: session.slug, reason },
      { meshId: session.mesh_id, sessionPubkey: session.pubkey },
    );
  }

  /**
   * Where a message addressed to a session stands: the Claude Code session id of its key (when this daemon
   * made it) and whether that session is still running.
   */
  sessionOfKey(pubkey: string): { sessionId: string | null; live: boolean } {
    return { sessionId: this.#keys.sessionIdOf(pubkey), live: this.sessions.byPubkey(pubkey) !== null };
  }

  /** The sending session's key pair, when the caller is a session of this mesh. */
  sessionSender(
    session: LiveSession | null,
    mesh: MeshRuntime,
  ): { sessionPubkey: string; sessionSecret: string } | null {
    if (session === null || session.mesh_id !== mesh.meshId) return null;
    const secret = this.#keys.secretsFor(mesh.meshId).get(session.pubkey);
    if (secret === undefined) throw new Error("the session's key file is missing");
    return { sessionPubkey: session.pubkey, sessionSecret: secret };
  }

  // ---- outbox routing ------------------------------------------------------------------------------

  #linkFor(row: OutboxRow): LinkChoice {
    const mesh = this.#meshes.get(row.mesh_id);
    if (mesh === undefined) return { dead: "mesh_gone: this mesh is no longer joined" };
    if (mesh.disabled) return { dead: `mesh_disabled: ${mesh.lastError ?? "refused by the broker"}` };
    let link: BrokerLink = mesh.control;
    if (row.sender_session_pubkey !== null) {
      const session = this.sessions.byPubkey(row.sender_session_pubkey);
      if (session !== null) link = session.link;
      else if (row.target_kind === "member" || row.target_kind === "session") {
        // Encrypted with that session's key: only its connection can send it so the recipient can open it.
        return { wait: "waiting for the sending session to reconnect" };
      }
    }
    if (!link.connected) return { wait: "waiting for the broker connection" };
    return { link };
  }

  // ---- shutdown ------------------------------------------------------------------------------------

  /**
   * Stops everything: with `bye` (shutdown, SIGTERM) every connection says goodbye so peers see this
   * member and its sessions leave at once. Closes the databases. Safe to call twice.
   */
  stop(options: { bye: boolean } = { bye: true }): Promise<void> {
    this.#stopping ??= this.#stop(options.bye);
    return this.#stopping;
  }

  /**
   * Tells every event stream that the daemon stops on purpose, before their connections close: followers
   * tell a stop from a crash by it (only after a crash do they start the daemon again).
   */
  announceStop(): void {
    this.events.publish("daemon_stopping", {}, { meshId: null, sessionPubkey: null });
  }

  async #stop(bye: boolean): Promise<void> {
    this.#watcher?.close();
    if (this.#pruneTimer !== null) clearInterval(this.#pruneTimer);
    this.outbox.drain.stop();
    await Promise.all([
      this.sessions.closeAll({ bye }),
      ...this.meshes.map((m) => m.stop(bye && !m.disabled)),
    ]);
    this.outbox.close();
    this.inbox.close();
    this.#log.info({}, "daemon stopped");
  }

  #watchConfig(): void {
    this.#watcher = watchConfigFile(
      this.#options.paths.config,
      () => {
        try {
          this.reload();
        } catch {
          // Logged by reload(); the meshes already attached stay attached.
        }
      },
      this.#log,
    );
  }
}

/** The topic id of a push encrypted under a topic key (§5.5 `bodyVersion` 2), else null. */
/** Connections of a one-shot daemon: a short member connection of the CLI, taking no messages. */
function oneShotLinks(factory: LinkFactory): LinkFactory {
  return (options) =>
    factory({
      ...options,
      sessionId: `cli-${process.pid}-${randomBytes(3).toString("hex")}`,
      peerType: "human",
      channel: "claudemesh-cli",
      capabilities: [...(options.capabilities ?? []), Capability.noInbox],
      // Nothing shows presence events during one command; its peer list is fetched when asked.
      presenceEvents: "none",
      reconnect: false,
    });
}

/** A change that needs a new connection (another identity, broker or broker node list, or root key). */
function connectionChanged(a: MeshConfig, b: MeshConfig): boolean {
  return (
    meshBrokerUrls(a).join("\n") !== meshBrokerUrls(b).join("\n") ||
    a.member_id !== b.member_id ||
    a.pubkey !== b.pubkey ||
    a.secret_key !== b.secret_key ||
    a.root_key !== b.root_key
  );
}

function choices(meshes: MeshRuntime[]): Array<{ slug: string; mesh_id: string }> {
  return meshes.map((m) => ({ slug: m.slug, mesh_id: m.meshId }));
}

/** The CLI's wording for a mesh the request does not pin down, as an API error. */
function selectionError(error: MeshSelectionError): LocalError {
  return new LocalError(error.code, error.message, error.hint);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
