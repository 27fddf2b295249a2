/**
 * The direct conversations of this browser's member in one mesh, kept in the browser's storage so a
 * message acked to the broker survives a reload (a push is acked only after it is written here), and so
 * does a message written while the broker could not be reached, until it is sent. The newest `KEEP` of
 * each conversation are kept.
 */
import { meshKey } from "./mesh-storage.js";
import { Store } from "./store.js";

/**
 * What became of a message sent: `waiting` is not sent yet for a reason that passes (no connection, no
 * answer, a rate limit) and goes again on the next connect or Retry; `failed` was refused for good.
 */
export type SendState = "sending" | "waiting" | "queued" | "held" | "delivered" | "expired" | "failed";

export interface ChatMessage {
  /** Broker message id (received) or this page's client message id (sent). */
  id: string;
  /** The conversation: the other member's public key, or a broadcast or group target (`*`, `@name`). */
  peer: string;
  peerName: string;
  /** Who wrote it, for broadcasts and groups. */
  fromName?: string;
  /** Received from one session of the member (its session key): where a reply goes while it is online. */
  fromSession?: string;
  mine: boolean;
  text: string;
  at: string;
  state?: SendState;
  /** Sent: the key it is addressed to, when not the conversation's member key (a session's). */
  to?: string;
  /** Sent: the `request_fingerprint` of every attempt, so a retry is accepted once (protocol.md §4.5). */
  fingerprint?: string;
  brokerId?: string;
  error?: string;
  reminder?: boolean;
}

const KEEP = 500;

export class ChatLog {
  readonly #key: string;
  #closed = false;
  readonly messages: Store<ChatMessage[]>;
  /** Conversations with messages not yet looked at. */
  readonly unread = new Store<ReadonlySet<string>>(new Set());

  constructor(meshId: string, memberPubkey: string) {
    this.#key = meshKey("chats", meshId, memberPubkey);
    this.messages = new Store(this.#load());
  }

  get(id: string): ChatMessage | undefined {
    return this.messages.value.find((m) => m.id === id);
  }

  add(message: ChatMessage): void {
    if (this.messages.value.some((m) => m.id === message.id)) return;
    const all = [...this.messages.value, message];
    const ofPeer = all.filter((m) => m.peer === message.peer);
    const kept = ofPeer.length > KEEP ? all.filter((m) => !ofPeer.slice(0, -KEEP).includes(m)) : all;
    this.#save(kept);
    this.messages.set(kept);
    if (!message.mine) this.unread.set(new Set([...this.unread.value, message.peer]));
  }

  patch(id: string, change: Partial<ChatMessage>): void {
    const next = this.messages.value.map((m) => (m.id === id ? { ...m, ...change } : m));
    this.#save(next);
    this.messages.set(next);
  }

  markRead(peer: string): void {
    if (!this.unread.value.has(peer)) return;
    const next = new Set(this.unread.value);
    next.delete(peer);
    this.unread.set(next);
  }

  /** Stops writing to the browser's storage (the mesh is being left or forgotten here). */
  close(): void {
    this.#closed = true;
  }

  #load(): ChatMessage[] {
    try {
      const value: unknown = JSON.parse(localStorage.getItem(this.#key) ?? "[]");
      if (!Array.isArray(value)) return [];
      // A send the last page did not see answered may or may not have arrived: it goes again, and the
      // broker keeps one copy of it.
      return (value as ChatMessage[]).map((m) => (m.state === "sending" ? { ...m, state: "waiting" } : m));
    } catch {
      // Unreadable storage starts an empty log rather than a broken page.
      return [];
    }
  }

  /** Throws when the browser refuses to store (quota): the push is then not acked and comes again. */
  #save(messages: ChatMessage[]): void {
    if (!this.#closed) localStorage.setItem(this.#key, JSON.stringify(messages));
  }
}
