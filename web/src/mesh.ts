/**
 * This browser's peer in one mesh: the shared client core (src/client) on the broker's `/ws` as the member
 * whose keys this browser holds, with `peerType` "human". It keeps the peer list fresh, opens every push
 * here (direct messages with the member key, broadcasts with the mesh root key, topic posts with the topic
 * keys of the shared keyring, which also seals copies for newcomers like the daemon does), acks each one
 * once it is kept, and tells the views. The broker sees only ciphertext and signatures.
 */
import { errorText as messageOf } from "../../src/client/frame-io.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { encryptedTopicOf } from "../../src/client/push-crypto.js";
import { peerEventsOf } from "../../src/client/peer-events.js";
import { TopicKeyring, TOPIC_SEAL_POLL_MS } from "../../src/client/topic-keyring.js";
import type { Logger } from "../../src/client/options.js";
import type { SystemEvent } from "../../src/client/types.js";
import type { PushFrame } from "../../src/protocol/frames.js";
import type { PeerEntry } from "../../src/protocol/families/presence.js";
import { ClientErrorCode } from "../../src/client/errors.js";
import { fromBase64Url } from "../../src/crypto/encoding.js";
import { randomHexToken } from "../../src/crypto/ids.js";
import { WEB_CHANNEL } from "../../src/protocol/constants.js";
import { ChatLog, type SendState } from "./chats.js";
import type { Membership } from "./membership.js";
import { Emitter, Store } from "./store.js";
import { keepTabPresence, takeTabPresence, type TabPresence } from "./tab-presence.js";

export type { PeerEntry };

export type Connection =
  { kind: "connecting" } | { kind: "online" } | { kind: "closed"; reason: string; retrying: boolean };

/** An opened topic post, live. */
export interface TopicPost {
  id: string;
  topicId: string;
  topic: string;
  fromName: string;
  fromPubkey: string;
  text: string;
  at: string;
  replyToId: string | null;
}

/** A `state_change` (§6.1): a key someone else set, value still sealed. */
export interface StateChange {
  key: string;
  value: unknown;
  updatedBy: string;
}

/** Status and summary have no event (§3.6): the list is also fetched this often. */
const PEER_REFRESH_MS = 15_000;

/** Send failures that pass: the message waits and goes again (same id, same fingerprint: §4.5). */
const PASSING: ReadonlySet<string> = new Set([
  ClientErrorCode.notConnected,
  ClientErrorCode.connectionClosed,
  ClientErrorCode.requestTimeout,
  ClientErrorCode.closed,
  "rate_limit",
  "internal",
  "store_unavailable",
]);

/** The wire or client error code of a failed request, or "". */
function codeOf(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : "";
}

const consoleLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (fields, message) => console.warn(message ?? "", fields),
  error: (fields, message) => console.error(message ?? "", fields),
};

export class WebMesh {
  readonly membership: Membership;
  readonly client: MeshClient;
  readonly topics: TopicKeyring;
  readonly rootKey: Uint8Array;
  /** This tab's presence's `sessionId`: kept across a reload of the tab (tab-presence.ts). */
  readonly sessionId: string;
  readonly connection = new Store<Connection>({ kind: "connecting" });
  /** How many times the page has connected: views load again on every change (online.ts). */
  readonly connects = new Store(0);
  readonly peers = new Store<PeerEntry[]>([]);
  readonly chats: ChatLog;
  /** Topic posts as they arrive (opened). */
  readonly topicPosts = new Emitter<TopicPost>();
  /** Every system event other than presence (task, lease, file, topic key changes …). */
  readonly systemEvents = new Emitter<SystemEvent>();
  readonly stateChanges = new Emitter<StateChange>();
  /** Posts waiting for this member's copy of their topic's key, by topic id. */
  readonly #held = new Map<string, PushFrame[]>();
  #peerTimer: ReturnType<typeof setInterval> | undefined;
  #peerFetch: ReturnType<typeof setTimeout> | undefined;
  readonly #off: Array<() => void> = [];
  readonly #tab: TabPresence;
  /** Sent messages this page follows with `message_status`. */
  readonly #followed = new Set<string>();
  #sendingWaiting = false;

  constructor(membership: Membership) {
    this.membership = membership;
    this.rootKey = fromBase64Url(membership.rootKey);
    this.#tab = takeTabPresence(membership.meshId, membership.presence === "session");
    this.sessionId = this.#tab.sessionId;
    this.client = new MeshClient({
      url: membership.brokerUrl,
      meshId: membership.meshId,
      identity: {
        memberId: membership.memberId,
        publicKey: membership.pubkey,
        secretKey: membership.secretKey,
      },
      // A session of a CLI user is named apart from the member, as its sessions are: "alice" stays the
      // member (the daemon's inbox and every session of it) for `claudemesh send alice`.
      displayName:
        membership.presence === "session" ? `${membership.displayName}-web` : membership.displayName,
      sessionId: this.sessionId,
      ...(this.#tab.sessionKey === undefined
        ? {}
        : { session: { sessionKey: this.#tab.sessionKey, role: "web" } }),
      pid: 0,
      cwd: "",
      hostname: "browser",
      peerType: "human",
      channel: WEB_CHANNEL,
      presenceEvents: "coalesced",
      logger: consoleLogger,
    });
    this.topics = new TopicKeyring({
      link: this.client,
      meshId: membership.meshId,
      memberPubkey: membership.pubkey,
      memberSecret: membership.secretKey,
      logger: consoleLogger,
      onKey: (topicId) => this.#releaseHeld(topicId),
    });
    this.chats = new ChatLog(membership.meshId, membership.pubkey);
  }

  /** Connects and keeps connecting until `stop()`. */
  start(): void {
    this.#off.push(
      this.client.on("connected", () => {
        this.connection.set({ kind: "online" });
        this.connects.set(this.connects.value + 1);
        this.refreshPeers();
        void this.topics.sync();
        void this.#sendWaiting();
        this.#followSent();
      }),
      this.client.on("disconnected", (info) => {
        this.connection.set({
          kind: "closed",
          reason: info.reason || `connection closed (${info.code})`,
          retrying: info.willReconnect,
        });
      }),
      this.client.on("terminal", (info) => {
        this.connection.set({ kind: "closed", reason: info.message || info.reason, retrying: false });
      }),
      this.client.onSystemEvent((push) => this.#onSystem(push)),
      this.client.onPush((push) => this.#onPush(push)),
      this.client.onFrame((frame) => {
        if (frame.type !== "state_change") return;
        const f = frame as Record<string, unknown>;
        if (typeof f.key === "string")
          this.stateChanges.emit({ key: f.key, value: f.value, updatedBy: String(f.updatedBy ?? "") });
      }),
    );
    addEventListener("pagehide", this.#onPageHide);
    this.#peerTimer = setInterval(() => this.refreshPeers(), PEER_REFRESH_MS);
    this.topics.start(TOPIC_SEAL_POLL_MS);
    this.client.connect().catch((error: unknown) => {
      this.connection.set({ kind: "closed", reason: messageOf(error), retrying: false });
    });
  }

  /** Says goodbye to the broker (the presence goes at once) and stops writing to the browser's storage. */
  async stop(): Promise<void> {
    removeEventListener("pagehide", this.#onPageHide);
    clearInterval(this.#peerTimer);
    clearTimeout(this.#peerFetch);
    this.topics.stop();
    for (const off of this.#off.splice(0)) off();
    this.chats.close();
    // Going anyway: a goodbye that cannot be sent leaves the presence to its grace.
    await this.client.bye().catch(() => undefined);
  }

  /**
   * The page is going away (closed, reloaded, navigated from). The tab keeps its presence for the next
   * page, and the broker is told goodbye, best effort: if that frame is lost, a reload reattaches.
   */
  readonly #onPageHide = (event: PageTransitionEvent): void => {
    keepTabPresence(this.membership.meshId, this.#tab);
    // A page kept in the back/forward cache may come back and reconnect by itself.
    // The page is going either way: a goodbye that cannot be sent leaves the presence to its grace.
    if (!event.persisted) this.client.bye().catch(() => undefined);
  };

  /** Fetches the peer list soon (several events in a row cost one request). */
  refreshPeers(): void {
    clearTimeout(this.#peerFetch);
    this.#peerFetch = setTimeout(() => {
      if (!this.client.connected) return;
      this.client.listPeers().then(
        (peers) => this.peers.set(peers),
        () => undefined,
      );
    }, 50);
  }

  /**
   * Sends a direct message in the conversation with `peer` (a member key), addressed to `to` (that
   * member, or one of its sessions), and follows it until delivered. It is kept in the browser's storage
   * first: if it cannot be sent now it waits, and goes on the next connect or on `retry`.
   */
  async sendDirect(peer: string, peerName: string, text: string, to: string = peer): Promise<void> {
    const id = `web-${randomHexToken(8)}`;
    this.chats.add({
      id,
      peer,
      peerName,
      mine: true,
      text,
      at: new Date().toISOString(),
      state: "sending",
      ...(to === peer ? {} : { to }),
      fingerprint: randomHexToken(32),
    });
    await this.#deliver(id);
  }

  /** Sends a waiting message again now. */
  retry(id: string): Promise<void> {
    return this.#deliver(id);
  }

  /**
   * One attempt at a sent message. Every attempt carries the message's client message id and fingerprint,
   * so the broker accepts it once however often it goes (protocol.md §4.5), though each is sealed anew.
   */
  async #deliver(id: string): Promise<void> {
    const message = this.chats.get(id);
    if (message === undefined || !message.mine) return;
    this.chats.patch(id, { state: "sending", error: undefined });
    const fail = (state: SendState, error: string): void => this.chats.patch(id, { state, error });
    try {
      const ack = await this.client.sendDirect(message.to ?? message.peer, message.text, {
        clientMessageId: id,
        ...(message.fingerprint === undefined ? {} : { requestFingerprint: message.fingerprint }),
      });
      if (!ack.queued) {
        const error = ack.error ?? "the broker did not take it";
        fail(PASSING.has(error.split(":")[0] ?? "") ? "waiting" : "failed", error);
        return;
      }
      this.chats.patch(id, { brokerId: ack.messageId, state: "queued" });
      this.#follow(id, ack.messageId);
    } catch (error) {
      fail(PASSING.has(codeOf(error)) ? "waiting" : "failed", messageOf(error));
    }
  }

  /** Sends the waiting messages, oldest first (once connected). */
  async #sendWaiting(): Promise<void> {
    if (this.#sendingWaiting) return;
    this.#sendingWaiting = true;
    try {
      for (const m of this.chats.messages.value.filter((c) => c.mine && c.state === "waiting")) {
        if (!this.client.connected) return;
        await this.#deliver(m.id);
      }
    } finally {
      this.#sendingWaiting = false;
    }
  }

  /** Follows again what an earlier page sent and did not see delivered. */
  #followSent(): void {
    for (const m of this.chats.messages.value) {
      if (m.mine && m.brokerId !== undefined && (m.state === "queued" || m.state === "held"))
        this.#follow(m.id, m.brokerId);
    }
  }

  #follow(id: string, messageId: string | undefined): void {
    if (messageId === undefined || this.#followed.has(id)) return;
    this.#followed.add(id);
    void this.#poll(id, messageId).finally(() => this.#followed.delete(id));
  }

  /** Asks `message_status` until the message is delivered or expired, backing off to once a minute. */
  async #poll(id: string, messageId: string): Promise<void> {
    for (let wait = 500; wait <= 60_000; wait *= 2) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      const status = await this.client.messageStatus(messageId).catch(() => null);
      if (status === null) continue;
      const states = status.recipients.map((r) => r.status);
      const state = status.delivered
        ? "delivered"
        : states.includes("expired")
          ? "expired"
          : states.includes("held")
            ? "held"
            : "queued";
      this.chats.patch(id, { state });
      if (state === "delivered" || state === "expired") return;
    }
  }

  async #onPush(push: PushFrame): Promise<void> {
    const topicId = encryptedTopicOf(push);
    if (topicId !== null && this.topics.cached(topicId) === undefined) {
      // Kept until this member's copy of the topic key arrives: never lost, never shown as bytes.
      this.#held.set(topicId, [...(this.#held.get(topicId) ?? []), push]);
      void this.topics.fetch(topicId, false).catch(() => null);
      return;
    }
    this.#open(push);
  }

  #open(push: PushFrame): void {
    const opened = this.client.decryptPush(push, { rootKey: this.rootKey, topicKeys: this.topics.keys() });
    const text = opened.ok ? opened.text : `(could not be decrypted: ${opened.reason})`;
    const fromName = push.senderName ?? push.senderPubkey.slice(0, 12);
    const fromPubkey = push.senderMemberPubkey ?? push.senderPubkey;
    const topicId = push.topicId ?? null;
    if (push.targetSpec?.startsWith("#") === true && topicId !== null) {
      const topic = this.topics.nameOf(topicId) ?? push.topic ?? push.targetSpec.slice(1);
      this.topicPosts.emit({
        id: push.messageId,
        topicId,
        topic,
        fromName,
        fromPubkey,
        text,
        at: push.createdAt,
        replyToId: push.replyToId ?? null,
      });
      return;
    }
    const multicast = push.targetSpec !== undefined && /^[*@]/.test(push.targetSpec);
    this.chats.add({
      id: push.messageId,
      peer: multicast ? (push.targetSpec as string) : fromPubkey,
      peerName: multicast ? (push.targetSpec as string) : fromName,
      fromName,
      ...(push.senderPubkey !== fromPubkey ? { fromSession: push.senderPubkey } : {}),
      mine: false,
      text,
      at: push.createdAt,
      ...(push.subtype === "reminder" ? { reminder: true } : {}),
    });
  }

  #releaseHeld(topicId: string): void {
    const held = this.#held.get(topicId);
    this.#held.delete(topicId);
    for (const push of held ?? []) this.#open(push);
  }

  #onSystem(push: SystemEvent): void {
    if (peerEventsOf(push) !== null) {
      this.refreshPeers();
      return;
    }
    this.topics.onSystemEvent(push);
    this.systemEvents.emit(push);
  }
}

/** What went wrong, as a sentence for the page. */
export { messageOf };
