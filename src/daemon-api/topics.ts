/**
 * The daemon API's views of topics (protocol.md §6.4), as `claudemesh topic … --json` prints them (cli.md
 * "Shared mesh features"), their mapping from the wire replies, and the `topic_message` stream event.
 */
import type { TopicEntry, TopicMemberEntry } from "../protocol/index.js";

export interface TopicView {
  id: string;
  name: string;
  description: string;
  visibility: "public" | "private" | "dm";
  member_count: number;
  joined: boolean;
  unread: number;
  /** Whether the topic has a key (its messages from our clients are end-to-end encrypted). */
  encrypted: boolean;
  created_at: string;
}

export interface TopicCreatedView {
  id: string;
  name: string;
  visibility: TopicView["visibility"];
  created: boolean;
  encrypted: boolean;
}

export interface TopicMemberView {
  display_name: string;
  pubkey: string;
  role: "lead" | "member" | "observer";
  joined_at: string;
  has_key: boolean;
}

/** One topic message, decrypted (history, `tail`, the `topic_message` event). */
export interface TopicMessageView {
  id: string;
  from_name: string;
  from_pubkey: string;
  body: string;
  reply_to: string | null;
  sent_at: string;
  /** False for a `bodyVersion` 1 body (sent in the clear by an older client) or one not opened. */
  encrypted: boolean;
  /** True when the body could not be opened (no key yet); `body` then says so. */
  undecryptable: boolean;
}

/** Data of the `topic_message` stream event. */
export interface TopicMessageEvent {
  mesh: string;
  topic: string;
  message: TopicMessageView;
}

export function topicView(t: TopicEntry): TopicView {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    visibility: t.visibility,
    member_count: t.memberCount,
    joined: t.joined ?? false,
    unread: t.unread ?? 0,
    encrypted: t.keyId !== null && t.keyId !== undefined,
    created_at: t.createdAt,
  };
}

export function topicMemberView(m: TopicMemberEntry): TopicMemberView {
  return {
    display_name: m.displayName,
    pubkey: m.pubkey,
    role: m.role,
    joined_at: m.joinedAt,
    has_key: m.hasKey ?? false,
  };
}
