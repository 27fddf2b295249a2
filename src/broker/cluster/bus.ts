/**
 * What the nodes of a cluster tell each other (protocol.md §4.14). Every notice is a hint: the store is the
 * truth, and each node also re-offers and expires on its own timers, so a lost notice delays something,
 * never loses it. One node (SQLite) has nobody to tell; several nodes on PostgreSQL use LISTEN/NOTIFY.
 */
import { z } from "zod";
import { PEER_EVENT_NAMES } from "../../protocol/families/presence.js";
import type { DueRecipient } from "../store/port/index.js";

const Id = z.string().min(1).max(200);

const DueRecipientSchema = z.object({
  meshId: Id,
  recipientKind: z.enum(["member", "session"]),
  recipientMemberId: Id,
  recipientPubkey: Id,
});

/** Every notice, validated when it arrives like any other input. */
export const ClusterMessage = z.discriminatedUnion("kind", [
  /** Recipients with committed deliveries to offer: the nodes holding them claim and push. */
  z.object({ kind: z.literal("offer"), recipients: z.array(DueRecipientSchema).max(1_000) }),
  /** A mesh's members changed (claim, ban, unban, leave): routing caches drop it. */
  z.object({ kind: z.literal("members"), meshId: Id }),
  /** A presence event to fan out to the presences each node holds (§3.6). */
  z.object({
    kind: z.literal("peer_event"),
    meshId: Id,
    subjectId: Id,
    subjectMemberId: Id,
    event: z.enum(PEER_EVENT_NAMES),
    data: z.record(z.string(), z.unknown()),
    exclusion: z.enum(["member", "self"]),
  }),
  /** A node took a presence over (reattach on another node): the node that held it lets it go silently. */
  z.object({ kind: z.literal("presence_taken"), presenceId: Id, byNode: Id }),
  /** Presences to close (kick, disconnect, ban) wherever they are held. */
  z.object({
    kind: z.literal("drop"),
    presenceIds: z.array(Id).max(10_000),
    code: z.number().int(),
    reason: z.string().max(123),
    /** An `error` frame (`revoked`) sent before the close, for a ban. */
    revokedMessage: z.string().max(1_000).nullable(),
    /** Removed at once (kick, ban); else only the socket closes and the presence enters its grace. */
    evict: z.boolean(),
  }),
  /**
   * A `state_change` (protocol.md §6.1, §6.7) for the presences each node holds, except the writer's.
   * `value` is left out when it would not fit a notice; the receiving node then reads it from the store.
   */
  z.object({
    kind: z.literal("state_change"),
    meshId: Id,
    exceptPresenceId: Id,
    source: z.enum(["state", "context"]),
    /** The state key, or for a context the member whose context it is. */
    ref: z.string().min(1).max(1_100),
    key: z.string().min(1).max(1_100),
    updatedBy: z.string().max(1_000),
    updatedAt: z.string().max(40),
    value: z.unknown().optional(),
  }),
  /**
   * A shared-state system push (`task_change`, `lease_change`, `file_shared`) for every presence each
   * node holds; or, with `members`, only for those members' presences (the topic-key pushes, a file
   * shared with some members), and with `capability` only for presences that declared it.
   */
  z.object({
    kind: z.literal("mesh_push"),
    meshId: Id,
    event: z.enum(["task_change", "lease_change", "topic_key_needed", "topic_key_available", "file_shared"]),
    data: z.record(z.string(), z.union([z.string().max(1_024), z.number(), z.null()])),
    members: z.array(Id).max(10_000).optional(),
    capability: z.string().max(64).optional(),
  }),
]);
export type ClusterMessage = z.infer<typeof ClusterMessage>;
export type ClusterMessageKind = ClusterMessage["kind"];
export type ClusterMessageOf<K extends ClusterMessageKind> = Extract<ClusterMessage, { kind: K }>;

export interface ClusterBus {
  /**
   * Whether other nodes may share the store. Then routing asks the store about presences this node does
   * not hold (a session key, whether a recipient is online, a member's groups, a reattach).
   */
  readonly shared: boolean;
  /**
   * Tells every other node: when the store transaction open in the caller's async context commits (never
   * if it rolls back), else at once, so callers publish after their own commit. Never throws; a failure
   * is logged.
   */
  publish(message: ClusterMessage): void;
  /** What this node does with one kind of notice from another node; one handler per kind. */
  on<K extends ClusterMessageKind>(kind: K, handler: (message: ClusterMessageOf<K>) => void): void;
  /**
   * Runs `work` unless another node is running the job of this name now (timers that must fire once
   * cluster-wide: retention, expiring the presences of a node that died). One node always runs it.
   */
  exclusive(job: string, work: () => Promise<void>): Promise<void>;
  /** Stops listening; safe to call twice. */
  close(): Promise<void>;
}

export type { DueRecipient };

/** Handlers by kind, shared by the implementations. */
export class ClusterHandlers {
  readonly #handlers = new Map<ClusterMessageKind, (message: ClusterMessage) => void>();

  on<K extends ClusterMessageKind>(kind: K, handler: (message: ClusterMessageOf<K>) => void): void {
    this.#handlers.set(kind, handler as (message: ClusterMessage) => void);
  }

  dispatch(message: ClusterMessage): void {
    this.#handlers.get(message.kind)?.(message);
  }
}
