/**
 * The topic keys of one mesh held by a member's client, the daemon's or the web app's (protocol.md §5.4):
 * opened keys cached in memory only (re-fetched with `topic_key_get` after a restart), each copy checked
 * before it is trusted; the key of a keyless topic the member is in is claimed (that is how `general` gets
 * one); and copies are sealed for members who lack one, on `topic_key_needed` and on a poll of
 * `topic_pending_seals`, with no command from anyone.
 */
import { topicKeyId } from "../crypto/index.js";
import type { PushFrame } from "../protocol/index.js";
import { MeshClientError } from "./errors.js";
import type { MeshClient } from "./mesh-client.js";
import type { Logger } from "./options.js";
import { newTopicKey, openTopicKeyCopy, sealTopicKeyCopy } from "./topic-keys.js";
import { unrefTimer } from "./timers.js";

/** How often a key holder asks who still needs a copy (protocol.md §8). */
export const TOPIC_SEAL_POLL_MS = 30_000;

/** The requests the keyring makes. */
export type TopicKeyLink = Pick<
  MeshClient,
  "getTopicKey" | "topicMembers" | "listTopics" | "claimTopicKey" | "pendingTopicSeals" | "sealTopicKey"
>;

export interface TopicKeyringOptions {
  link: TopicKeyLink;
  meshId: string;
  memberPubkey: string;
  memberSecret: string;
  logger: Logger;
  /** A topic's key is now held: pushes kept for want of it can be opened. */
  onKey: (topicId: string) => void;
}

interface HeldKey {
  key: Uint8Array;
  keyId: string;
}

function codeOf(error: unknown): string {
  return error instanceof MeshClientError ? error.code : "";
}

export class TopicKeyring {
  readonly #o: TopicKeyringOptions;
  readonly #log: Logger;
  /** Opened keys by topic id. */
  readonly #keys = new Map<string, HeldKey>();
  /** Topic names by id and ids by name, as the broker last told. */
  readonly #names = new Map<string, string>();
  readonly #ids = new Map<string, string>();
  readonly #fetching = new Map<string, Promise<HeldKey | null>>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #syncing: Promise<void> | null = null;

  constructor(options: TopicKeyringOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** Polls `topic_pending_seals` (and retries missing keys) every `pollMs`. */
  start(pollMs: number): void {
    if (this.#timer !== null || pollMs <= 0) return;
    this.#timer = setInterval(() => void this.sync(), pollMs);
    unrefTimer(this.#timer);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Every opened key, by topic id and by name (what `decryptPush` looks up). */
  keys(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const [id, held] of this.#keys) {
      out.set(id, held.key);
      const name = this.#names.get(id);
      if (name !== undefined) out.set(name, held.key);
    }
    return out;
  }

  /** The opened key of a topic (id or name), if held. */
  cached(topic: string): Uint8Array | undefined {
    return this.#keys.get(this.#ids.get(topic) ?? topic)?.key;
  }

  nameOf(topicId: string): string | undefined {
    return this.#names.get(topicId);
  }

  /** Remembers a topic's name (from a reply that carried both). */
  learn(topicId: string, name: string): void {
    this.#names.set(topicId, name);
    this.#ids.set(name, topicId);
  }

  /**
   * The key of a topic (id or name) for sending: held, fetched, or — for a keyless topic the member is
   * in — made and claimed. Null when a copy has not been sealed for this member yet.
   */
  async keyFor(topic: string): Promise<{ topicId: string; key: Uint8Array } | null> {
    const id = this.#ids.get(topic) ?? topic;
    const held = this.#keys.get(id);
    if (held) return { topicId: id, key: held.key };
    const fetched = await this.fetch(topic, true);
    if (fetched === null) return null;
    const topicId = this.#ids.get(topic) ?? topic;
    return { topicId, key: fetched.key };
  }

  /**
   * Fetches and checks this member's copy (one fetch per topic at a time). `claim`: a keyless topic gets
   * a new key claimed by this member. Null while no copy exists; throws other broker errors.
   */
  fetch(topic: string, claim: boolean): Promise<HeldKey | null> {
    const running = this.#fetching.get(topic);
    if (running) return running;
    const work = this.#fetch(topic, claim).finally(() => this.#fetching.delete(topic));
    this.#fetching.set(topic, work);
    return work;
  }

  async #fetch(topic: string, claim: boolean): Promise<HeldKey | null> {
    let copy;
    try {
      copy = await this.#o.link.getTopicKey(topic);
    } catch (error) {
      const code = codeOf(error);
      if (code === "key_not_sealed") return null;
      if (code === "topic_unencrypted" && claim) return this.#claim(topic);
      throw error;
    }
    this.learn(copy.topicId, copy.topic);
    const members = await this.#o.link.topicMembers(copy.topicId);
    const key = openTopicKeyCopy(copy, {
      meshId: this.#o.meshId,
      memberPubkey: this.#o.memberPubkey,
      memberSecretKey: this.#o.memberSecret,
      topicMemberPubkeys: new Set(members.members.map((m) => m.pubkey)),
    });
    if (key === null) {
      // Discard it and ask again: a holder seals a good copy on the next round.
      this.#log.warn(
        { topic: copy.topic, sealed_by: copy.sealedBy.slice(0, 12) },
        "discarded a bad topic key copy",
      );
      return null;
    }
    return this.#hold(copy.topicId, { key, keyId: copy.keyId });
  }

  async #claim(topic: string): Promise<HeldKey | null> {
    const list = await this.#o.link.listTopics();
    const entry = list.topics.find((t) => t.id === topic || t.name === topic);
    if (!entry) return null;
    this.learn(entry.id, entry.name);
    const key = newTopicKey();
    const copy = sealTopicKeyCopy(
      { meshId: this.#o.meshId, topicId: entry.id, recipientPubkey: this.#o.memberPubkey, topicKey: key },
      { secretKey: this.#o.memberSecret },
    );
    try {
      await this.#o.link.claimTopicKey(entry.id, copy);
    } catch (error) {
      // Another member's key won: ours is thrown away and theirs comes sealed.
      if (codeOf(error) === "key_already_set") return this.#fetch(entry.id, false);
      throw error;
    }
    this.#log.info({ topic: entry.name }, "claimed the topic key");
    const held = this.#hold(entry.id, { key, keyId: topicKeyId(key) });
    void this.sealPending(entry.id);
    return held;
  }

  #hold(topicId: string, held: HeldKey): HeldKey {
    const had = this.#keys.has(topicId);
    this.#keys.set(topicId, held);
    if (!had) this.#o.onKey(topicId);
    return held;
  }

  /** Seals a copy for every member who lacks one, of the topics (or `topic`) this member holds. */
  async sealPending(topic?: string): Promise<number> {
    let sealed = 0;
    try {
      const { pending } = await this.#o.link.pendingTopicSeals(topic);
      for (const p of pending) {
        this.learn(p.topicId, p.topic);
        const held = this.#keys.get(p.topicId) ?? (await this.fetch(p.topicId, false));
        if (held === null || (p.keyId !== undefined && p.keyId !== held.keyId)) continue;
        const copy = sealTopicKeyCopy(
          { meshId: this.#o.meshId, topicId: p.topicId, recipientPubkey: p.memberPubkey, topicKey: held.key },
          { secretKey: this.#o.memberSecret },
        );
        try {
          await this.#o.link.sealTopicKey(p.topicId, p.memberPubkey, copy);
          sealed++;
          this.#log.info({ topic: p.topic, member: p.memberPubkey.slice(0, 12) }, "sealed a topic key copy");
        } catch (error) {
          // Another holder was quicker, or the member left: nothing to do.
          this.#log.debug({ topic: p.topic, err: String(error) }, "sealing a copy failed");
        }
      }
    } catch (error) {
      this.#log.debug({ err: String(error) }, "pending seals unavailable");
    }
    return sealed;
  }

  /**
   * One round (on connect and every poll): learn the topics, claim keys of keyless topics the member is
   * in, fetch missing keys of the others, seal copies for whoever waits. Rounds never overlap.
   */
  sync(): Promise<void> {
    if (this.#syncing) return this.#syncing;
    this.#syncing = this.#sync().finally(() => (this.#syncing = null));
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    try {
      const { topics } = await this.#o.link.listTopics();
      for (const t of topics) {
        this.learn(t.id, t.name);
        if (t.joined !== true || this.#keys.has(t.id)) continue;
        await this.fetch(t.id, t.keyId === null || t.keyId === undefined).catch((error: unknown) =>
          this.#log.debug({ topic: t.name, err: String(error) }, "topic key unavailable"),
        );
      }
      await this.sealPending();
    } catch (error) {
      this.#log.debug({ err: String(error) }, "topic key round failed");
    }
  }

  /** `topic_key_needed` → seal; `topic_key_available` → fetch. Other events are not ours. */
  onSystemEvent(event: PushFrame): void {
    const data = event.eventData ?? {};
    const topicId = typeof data.topicId === "string" ? data.topicId : undefined;
    if (topicId === undefined) return;
    if (typeof data.topic === "string") this.learn(topicId, data.topic);
    if (event.event === "topic_key_needed") void this.sealPending(topicId);
    else if (event.event === "topic_key_available") {
      this.fetch(topicId, false).catch((error: unknown) =>
        this.#log.debug({ err: String(error) }, "fetching an announced topic key failed"),
      );
    }
  }
}
