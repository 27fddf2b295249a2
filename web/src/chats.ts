/**
 * The direct conversations of this browser's member in one mesh, kept in the browser's storage so a
 * message acked to the broker survives a reload (a push is acked only after it is written here). The
 * newest `KEEP` of each conversation are kept.
 */
import { Store } from "./store.js";

export type SendState = "sending" | "queued" | "held" | "delivered" | "expired" | "failed";

export interface ChatMessage {
  /** Broker message id (received) or this page's client message id (sent). */
  id: string;
  /** The conversation: the other member's public key, or a broadcast or group target (`*`, `@name`). */
  peer: string;
  peerName: string;
  /** Who wrote it, for broadcasts and groups. */
  fromName?: string;
  mine: boolean;
  text: string;
  at: string;
  state?: SendState;
  brokerId?: string;
  error?: string;
  reminder?: boolean;
}

const KEEP = 500;

export class ChatLog {
  readonly #key: string;
  readonly messages: Store<ChatMessage[]>;
  /** Conversations with messages not yet looked at. */
  readonly unread = new Store<ReadonlySet<string>>(new Set());

  constructor(meshId: string, memberPubkey: string) {
    this.#key = `claudemesh.chats.v1.${meshId}.${memberPubkey}`;
    this.messages = new Store(this.#load());
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

  #load(): ChatMessage[] {
    try {
      const value: unknown = JSON.parse(localStorage.getItem(this.#key) ?? "[]");
      return Array.isArray(value) ? (value as ChatMessage[]) : [];
    } catch {
      // Unreadable storage starts an empty log rather than a broken page.
      return [];
    }
  }

  /** Throws when the browser refuses to store (quota): the push is then not acked and comes again. */
  #save(messages: ChatMessage[]): void {
    localStorage.setItem(this.#key, JSON.stringify(messages));
  }
}
