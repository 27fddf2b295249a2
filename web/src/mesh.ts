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
import { fromBase64Url } from "../../src/crypto/encoding.js";
import { generateIdentity } from "../../src/crypto/identity.js";
import { randomHexToken } from "../../src/crypto/ids.js";
import { WEB_CHANNEL } from "../../src/protocol/constants.js";
import { ChatLog } from "./chats.js";
import type { Membership } from "./membership.js";
import { Emitter, Store } from "./store.js";

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
  /** This page's presence's `sessionId` (a fresh one per page). */
  readonly sessionId = `web-${randomHexToken(8)}`;
  readonly connection = new Store<Connection>({ kind: "connecting" });
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

  constructor(membership: Membership) {
    this.membership = membership;
    this.rootKey = fromBase64Url(membership.rootKey);
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
      ...(membership.presence === "session"
        ? { session: { sessionKey: generateIdentity(), role: "web" } }
        : {}),
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
        this.refreshPeers();
        void this.topics.sync();
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
    this.#peerTimer = setInterval(() => this.refreshPeers(), PEER_REFRESH_MS);
    this.topics.start(TOPIC_SEAL_POLL_MS);
    this.client.connect().catch((error: unknown) => {
      this.connection.set({ kind: "closed", reason: messageOf(error), retrying: false });
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.#peerTimer);
    clearTimeout(this.#peerFetch);
    this.topics.stop();
    for (const off of this.#off.splice(0)) off();
    await this.client.bye().catch(() => undefined);
  }

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

  /** Sends a direct message to a member and follows it until delivered. */
  async sendDirect(peerPubkey: string, peerName: string, text: string): Promise<void> {
    const id = `web-${randomHexToken(8)}`;
    this.chats.add({
      id,
      peer: peerPubkey,
      peerName,
      mine: true,
      text,
      at: new Date().toISOString(),
      state: "sending",
    });
    try {
      const ack = await this.client.sendDirect(peerPubkey, text, { clientMessageId: id });
      this.chats.patch(id, { brokerId: ack.messageId, state: "queued" });
      void this.#follow(id, ack.messageId);
    } catch (error) {
      this.chats.patch(id, { state: "failed", error: messageOf(error) });
    }
  }

  /** Asks `message_status` until the message is delivered or expired, backing off to once a minute. */
  async #follow(id: string, messageId: string | undefined): Promise<void> {
    if (messageId === undefined) return;
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
