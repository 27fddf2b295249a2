/** What the topics family stores (protocol.md §6.4) and the sealed copies of topic keys (§5.4). */
import type { TopicRole, TopicVisibility } from "../../../protocol/index.js";
import type { MessageRow } from "./messages.js";

export interface TopicRow {
  id: string;
  meshId: string;
  name: string;
  description: string;
  visibility: TopicVisibility;
  createdByMemberId: string | null;
  createdAt: number;
  /** The topic key's id; null until a member sets the key (create with key fields, or a claim). */
  keyId: string | null;
}

/** A topic as `topic_list` shows it to one member. */
export interface TopicListRow extends TopicRow {
  memberCount: number;
  joined: boolean;
  /** Messages from other members since the member's `lastReadAt` (all of them when never read). */
  unread: number;
}

export interface TopicMemberRow {
  topicId: string;
  memberId: string;
  pubkey: string;
  displayName: string;
  role: TopicRole;
  joinedAt: number;
  lastReadAt: number | null;
  hasKey: boolean;
}

/** One member's sealed copy of a topic key; the broker cannot open it. */
export interface TopicKeyCopy {
  topicId: string;
  memberId: string;
  keyId: string;
  sealedKey: string;
  /** Member pubkey of the member who sealed the copy. */
  sealedBy: string;
  sealSig: string;
  createdAt: number;
}

export interface PendingSealRow {
  topicId: string;
  topic: string;
  keyId: string;
  memberId: string;
  memberPubkey: string;
}

export type ClaimTopicKeyResult = { won: true } | { won: false; keyId: string };

export interface TopicStore {
  /**
   * Creates the topic unless the mesh already has one of that name (idempotent on name): then nothing
   * changes and the existing row comes back with `created:false`. A new topic gets `lead` as its first
   * member (role `lead`) and, when `topic.keyId` is set, `leadCopy` as that member's sealed copy.
   */
  createTopic(
    topic: TopicRow,
    lead: { memberId: string; joinedAt: number } | null,
    leadCopy: TopicKeyCopy | null,
  ): Promise<{ topic: TopicRow; created: boolean }>;
  /** By id, else by name, within `meshId` only. */
  findTopic(meshId: string, idOrName: string): Promise<TopicRow | null>;
  /** Public topics and the others `memberId` belongs to, by name. */
  listTopics(meshId: string, memberId: string): Promise<TopicListRow[]>;
  /** Adds the member (false when it already was one; its role is then left as it is). */
  addTopicMember(topicId: string, memberId: string, role: TopicRole, joinedAt: number): Promise<boolean>;
  /** False when the member was not in the topic. */
  removeTopicMember(topicId: string, memberId: string): Promise<boolean>;
  getTopicMember(topicId: string, memberId: string): Promise<TopicMemberRow | null>;
  /** The topic's non-revoked members in join order. */
  listTopicMembers(topicId: string): Promise<TopicMemberRow[]>;
  /** False when the member is not in the topic. */
  markTopicRead(topicId: string, memberId: string, at: number): Promise<boolean>;
  /**
   * The topic's messages newest first, at most `limit`, older than `beforeId` when given (a `beforeId`
   * that is not a message of the topic gives an empty page).
   */
  topicHistory(topicId: string, limit: number, beforeId: string | null): Promise<MessageRow[]>;
  /** Whether `messageId` is a message of the topic (a reply in a topic must answer one of its own). */
  isTopicMessage(topicId: string, messageId: string): Promise<boolean>;

  /**
   * Sets the topic's key when it has none, with the claimer's copy, as one atomic compare-and-set: of any
   * number of concurrent claimers on any nodes exactly one wins; the others learn the winning key id.
   */
  claimTopicKey(copy: TopicKeyCopy): Promise<ClaimTopicKeyResult>;
  getTopicKeyCopy(topicId: string, memberId: string): Promise<TopicKeyCopy | null>;
  /** Stores a copy for a member that has none; false (nothing written) when it already has one. */
  putTopicKeyCopy(copy: TopicKeyCopy): Promise<boolean>;
  /** Member ids holding a copy of the topic's key. */
  topicKeyHolders(topicId: string): Promise<string[]>;
  /**
   * Non-revoked members without a copy, of the keyed topics (of `meshId`, or only `topicId`) in which
   * `holderMemberId` holds a copy.
   */
  pendingSeals(meshId: string, holderMemberId: string, topicId: string | null): Promise<PendingSealRow[]>;
}
