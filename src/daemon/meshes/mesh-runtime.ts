/**
 * One joined mesh inside the daemon: its config, the member's control-plane connection (member hello,
 * reconnecting forever), its connection state, and short-lived caches of the roster and live peers.
 * A kick (4001) or a revocation (4002) disables the mesh: routes refuse it with the broker's message.
 */
import type { Logger } from "pino";
import type { DisconnectInfo, TerminalInfo } from "../../client/index.js";
import { fromBase64Url } from "../../crypto/index.js";
import type { MeshConfig } from "../../host/config.js";
import type { MeshConnectionState } from "../../daemon-api/contract.js";
import type { MemberEntry, PeerEntry, PushFrame } from "../../protocol/index.js";
import { LocalError, brokerFailure } from "../ipc/errors.js";
import type { BrokerLink, LinkFactory } from "../links.js";
import { controlLinkOptions } from "./link-options.js";
import { StatusKeeper, type WantedStatus } from "./wanted-status.js";
import { TOPIC_SEAL_POLL_MS, TopicKeyring } from "../../client/topic-keyring.js";

/** How long a fetched peer list is reused (peer events clear it earlier). */
const PEERS_TTL_MS = 2_000;
/** How long a fetched roster is reused. */
const MEMBERS_TTL_MS = 10_000;
/** After a refusal the client core treats as permanent (other than kick/ban/leave), try again this late. */
const PERMANENT_RETRY_MS = 5 * 60_000;

export interface MeshRuntimeDeps {
  factory: LinkFactory;
  logger: Logger;
  /** A push for the member (not a session): store it; resolve only once it is durable. */
  onPush: (mesh: MeshRuntime, push: PushFrame) => void;
  onSystemEvent: (mesh: MeshRuntime, event: PushFrame) => void;
  onStateChange: (mesh: MeshRuntime) => void;
  /** Last roster persisted for this mesh, for resolving names while the broker is unreachable. */
  loadRoster: (meshId: string) => MemberEntry[] | null;
  saveRoster: (meshId: string, members: MemberEntry[]) => void;
  /** The status the member set by hand in this mesh, kept across daemon restarts. */
  loadStatus?: (meshId: string) => WantedStatus | null;
  saveStatus?: (meshId: string, wanted: WantedStatus) => void;
  /** A topic key is now held: pushes kept for want of it can be opened. */
  onTopicKey?: (mesh: MeshRuntime, topicId: string) => void;
  /** How often key holders poll `topic_pending_seals` (§5.4). @default 30 s */
  topicSealPollMs?: number;
}

export class MeshRuntime {
  readonly config: MeshConfig;
  readonly rootKey: Uint8Array;
  readonly control: BrokerLink;
  /** The member connection's status, re-applied on every reconnect. */
  readonly status: StatusKeeper;
  /** Topic keys of this mesh: held, claimed, and sealed for newcomers. */
  readonly topics: TopicKeyring;
  readonly #deps: MeshRuntimeDeps;
  readonly #log: Logger;
  #state: MeshConnectionState = "connecting";
  #lastError: string | null = null;
  #refused = false;
  /**
   * The last list of peers the broker gave, and when. Served for {@link PEERS_TTL_MS}; a change makes it
   * stale (`at` 0) rather than dropping it: names still resolve against it while the broker is unreachable.
   */
  #peers: { at: number; list: PeerEntry[] } | null = null;
  #members: { at: number; list: MemberEntry[] } | null = null;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | null = null;
  /** Called (and dropped) whenever {@link receiving} may have turned false. */
  readonly #settleWaiters = new Set<() => void>();
  /** Connections (and connection attempts) of the control link that ended so far. */
  #closes = 0;

  constructor(config: MeshConfig, deps: MeshRuntimeDeps) {
    this.config = config;
    this.rootKey = fromBase64Url(config.root_key);
    this.#deps = deps;
    this.#log = deps.logger.child({ component: "mesh", mesh: config.slug });
    this.control = deps.factory(controlLinkOptions(config, deps.logger));
    this.status = new StatusKeeper(this.control, this.#log, {
      kept: deps.loadStatus?.(config.mesh_id) ?? null,
      keep: (wanted) => deps.saveStatus?.(config.mesh_id, wanted),
    });
    this.topics = new TopicKeyring({
      link: this.control,
      meshId: config.mesh_id,
      memberPubkey: config.pubkey,
      memberSecret: config.secret_key,
      logger: this.#log.child({ component: "topic-keys" }),
      onKey: (topicId) => deps.onTopicKey?.(this, topicId),
    });
  }

  get meshId(): string {
    return this.config.mesh_id;
  }
  get slug(): string {
    return this.config.slug;
  }
  get state(): MeshConnectionState {
    return this.#state;
  }
  get lastError(): string | null {
    return this.#lastError;
  }
  get disabled(): boolean {
    return this.#state === "disabled";
  }

  start(): void {
    this.control.onPush((push) => this.#deps.onPush(this, push));
    this.control.onSystemEvent((event) => {
      this.#stalePeers();
      this.topics.onSystemEvent(event);
      this.#deps.onSystemEvent(this, event);
    });
    this.control.on("connected", () => {
      this.#setState("connected", null);
      this.#log.info({}, "broker connected");
      void this.topics.sync();
      // Names resolve against the last roster seen while the broker is unreachable: keep one from the
      // first connect on, not only once something listed the members.
      if (this.#members === null && this.#deps.loadRoster(this.meshId) === null) {
        this.control.listMembers().then(
          (list) => this.#deps.saveRoster(this.meshId, list),
          () => undefined,
        );
      }
    });
    this.control.on("backlog", () => this.#settled());
    this.topics.start(this.#deps.topicSealPollMs ?? TOPIC_SEAL_POLL_MS);
    this.control.on("disconnected", (info: DisconnectInfo) => {
      if (this.#state === "disabled" || this.#stopped) return;
      this.#closes += 1;
      this.#stalePeers();
      // Without a reconnect (a one-shot connection) a first connect that failed is over, not pending; one
      // still moving on to another node of the broker is connecting until every node failed.
      let next = this.#state;
      if (this.#state === "connecting") next = info.allFailed === false ? "connecting" : "disconnected";
      else if (info.willReconnect) next = "disconnected";
      const at = info.url === undefined ? "" : ` at ${info.url}`;
      this.#setState(next, `${`closed ${info.code} ${info.reason}`.trim()}${at}`);
    });
    this.control.on("terminal", (info: TerminalInfo) => {
      if (this.#stopped) return;
      this.#log.warn(
        { code: info.code, reason: info.reason, errorCode: info.errorCode },
        "broker connection stopped",
      );
      if (info.code === 4001 || info.code === 4002) {
        this.disable(`${info.reason}: ${info.message}`, info.reason !== "left");
        return;
      }
      // Refused for this configuration (clock skew, unknown member after a broker restore, replaced):
      // the member's own connection keeps trying, slowly, so a fixed clock or broker heals it.
      this.#setState("disconnected", `${info.errorCode}: ${info.message}`);
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        if (!this.#stopped && !this.disabled) this.#connect();
      }, PERMANENT_RETRY_MS);
      this.#retryTimer.unref();
    });
    this.#connect();
  }

  #connect(): void {
    this.control.connect().catch((error: unknown) => {
      // Permanent failures are reported through the terminal event; this only records why.
      this.#log.warn({ err: error instanceof Error ? error.message : String(error) }, "connect failed");
    });
  }

  /**
   * Marks the mesh disabled (kicked, banned, left): no reconnect, routes refuse it. `refused`: by the
   * broker (kicked, banned), not left by the member.
   */
  disable(reason: string, refused = false): void {
    this.#refused = refused;
    this.#stalePeers();
    this.topics.stop();
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#setState("disabled", reason);
    void this.control.close();
  }

  /**
   * Disabled by the broker (kicked, banned), not left: a new connection may be let in again (after an
   * unban), so a reload tries one.
   */
  get refused(): boolean {
    return this.disabled && this.#refused;
  }

  /** Throws the API error routes answer for a disabled mesh. */
  assertUsable(): void {
    if (this.#state !== "disabled") return;
    throw new LocalError(
      "mesh_disabled",
      `mesh "${this.slug}" is disabled: ${this.#lastError ?? "refused by the broker"}`,
      this.refused
        ? "once the mesh owner or an admin lets you back in (`claudemesh unban`), `claudemesh daemon up` reconnects"
        : "rejoin with a new invite (`claudemesh join <link>`)",
    );
  }

  /** Live presences (online or in grace), from the broker; cached for 2 s. */
  async peers(): Promise<PeerEntry[]> {
    this.assertUsable();
    const now = Date.now();
    if (this.#peers !== null && now - this.#peers.at < PEERS_TTL_MS) return this.#peers.list;
    try {
      const list = await this.control.listPeers();
      this.#peers = { at: now, list };
      return list;
    } catch (error) {
      throw brokerFailure(error, this.slug);
    }
  }

  /**
   * Peers to resolve names against: the live ones, or while the broker is unreachable the last ones seen
   * (`live: false`: none is known to be online). A session's name then still finds its key, and a send
   * to it waits in the outbox instead of being refused during a broker restart.
   */
  async peersForNames(): Promise<{ peers: PeerEntry[]; live: boolean }> {
    try {
      return { peers: await this.peers(), live: true };
    } catch {
      return { peers: this.#peers?.list ?? [], live: false };
    }
  }

  /** The roster (online or not); while the broker is unreachable, the last one seen. */
  async members(options: { allowStale: boolean } = { allowStale: false }): Promise<MemberEntry[]> {
    this.assertUsable();
    const now = Date.now();
    if (this.#members !== null && now - this.#members.at < MEMBERS_TTL_MS) return this.#members.list;
    try {
      const list = await this.control.listMembers();
      this.#members = { at: now, list };
      this.#deps.saveRoster(this.meshId, list);
      return list;
    } catch (error) {
      if (!options.allowStale) throw brokerFailure(error, this.slug);
      const stale = this.#members?.list ?? this.#deps.loadRoster(this.meshId);
      if (stale === null) throw brokerFailure(error, this.slug);
      return stale.map((m) => ({ ...m, online: false }));
    }
  }

  /**
   * Whether asking the broker again might find a name the roster or peers in hand lack: the broker is
   * reachable and at least one of the lists was fetched before `since` (a cache served it, so someone who
   * joined since is missing from it).
   */
  namesMayBeOutdated(since: number): boolean {
    if (this.#state !== "connected") return false;
    return (this.#members?.at ?? 0) < since || (this.#peers?.at ?? 0) < since;
  }

  /**
   * Whether messages the broker held for the member may still be on their way into the inbox: the first
   * connection is being made, or the connection is up and the broker has not yet said that everything
   * pending when it came up was pushed (`backlog_sent`, protocol.md §4.6). A mesh whose broker is
   * unreachable is not receiving: nothing arrives until it reconnects.
   */
  get receiving(): boolean {
    if (this.#state === "connecting") return true;
    return this.#state === "connected" && !this.control.backlogReceived;
  }

  /**
   * Resolves once {@link receiving} is false, or after `timeoutMs` (whichever comes first). A mesh waiting
   * out its reconnect backoff is tried again at once, and waited for until that attempt is over: a broker
   * that came back is read from, not reported unreachable for the rest of the backoff.
   */
  untilReceived(timeoutMs: number): Promise<void> {
    const closes = this.#closes;
    const retrying = this.#state === "disconnected" && this.retryNow();
    const pending = (): boolean =>
      this.receiving || (retrying && this.#state === "disconnected" && this.#closes === closes);
    if (!pending()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#settleWaiters.delete(check);
        resolve();
      };
      const check = (): void => {
        if (!pending()) done();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.#settleWaiters.add(check);
    });
  }

  #settled(): void {
    for (const check of [...this.#settleWaiters]) check();
  }

  /** Drops cached peer and roster lists (after a peer event or a moderation action). */
  invalidate(): void {
    this.#stalePeers();
    this.#members = null;
  }

  /**
   * Retries now if the control connection waits to reconnect (its backoff, or the slow retry after a
   * refusal). Returns whether it was waiting.
   */
  retryNow(): boolean {
    if (this.#stopped || this.disabled) return false;
    if (this.#retryTimer === null) return this.control.retryNow();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#connect();
    return true;
  }

  /** Closes the control connection; `bye` makes the broker drop the presence at once. */
  async stop(bye: boolean): Promise<void> {
    this.#stopped = true;
    this.topics.stop();
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    try {
      if (bye) await this.control.bye();
      else await this.control.close();
    } catch (error) {
      this.#log.warn({ err: error instanceof Error ? error.message : String(error) }, "closing failed");
    }
  }

  #stalePeers(): void {
    if (this.#peers !== null) this.#peers.at = 0;
  }

  #setState(state: MeshConnectionState, lastError: string | null): void {
    const changed = state !== this.#state || lastError !== this.#lastError;
    this.#state = state;
    if (lastError !== null || state === "connected") this.#lastError = lastError;
    if (changed) this.#deps.onStateChange(this);
    this.#settled();
  }
}
