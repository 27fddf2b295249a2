/**
 * The broker's storage port. Two adapters implement it (SQLite, PostgreSQL) and one contract suite
 * (test/contract/store-contract.ts) runs against both. Every method is atomic on its own; methods taking
 * arrays handle the whole batch in one transaction (the hot path batches per event-loop turn).
 *
 * Times are epoch milliseconds. Ids are opaque strings made by the caller (the broker), so adapters
 * never invent identity.
 */
import type {
  GroupRef,
  MemberRole,
  PeerRole,
  PresenceStatus,
  Priority,
  Profile,
  Stats,
  StatusSource,
} from "../../protocol/index.js";

export interface MeshRow {
  id: string;
  name: string;
  slug: string;
  ownerMemberId: string;
  createdAt: number;
}

/** State a member's presences leave behind when they close (protocol.md §3.2). */
export interface SavedState {
  groups?: GroupRef[];
  summary?: string | null;
  displayName?: string;
  profile?: Profile;
  visible?: boolean;
  stats?: Required<Pick<Stats, "messagesIn" | "messagesOut" | "toolCalls" | "errors">>;
  lastSeenAt?: number;
}

export interface MemberRow {
  id: string;
  meshId: string;
  pubkey: string;
  displayName: string;
  role: MemberRole;
  defaultGroups: GroupRef[];
  joinedAt: number;
  revokedAt: number | null;
  revokeReason: string | null;
  saved: SavedState | null;
}

export interface InviteRow {
  code: string;
  meshId: string;
  role: "member" | "admin";
  maxUses: number;
  uses: number;
  expiresAt: number;
  inviterPubkey: string;
  inviteSignature: string;
  claimHash: string;
  encryptedRootKey: string;
  nonce: string;
  revokedAt: number | null;
  createdAt: number;
}

export type ClaimInviteResult =
  | { status: "ok"; member: MemberRow; created: boolean; invite: InviteRow }
  | { status: "not_found" | "expired" | "revoked" | "exhausted" | "bad_claim_token" };

/** A presence as other nodes and `list_peers` see it. */
export interface PresenceRow {
  id: string;
  meshId: string;
  memberId: string;
  nodeId: string;
  peerRole: PeerRole;
  /** Proven session key (session presences only). */
  sessionPubkey: string | null;
  sessionId: string;
  displayName: string;
  cwd: string;
  pid: number;
  hostname: string | null;
  peerType: string | null;
  channel: string | null;
  model: string | null;
  groups: GroupRef[];
  status: PresenceStatus;
  statusSource: StatusSource;
  statusAt: number;
  summary: string | null;
  stats: Stats | null;
  visible: boolean;
  profile: Profile | null;
  connectedAt: number;
  lastPingAt: number;
  /** `online` or `offline` (in grace). Disconnected rows are not returned by listings. */
  lease: "online" | "offline";
  disconnectedAt: number | null;
}

export type PresencePatch = Partial<
  Pick<
    PresenceRow,
    | "groups"
    | "status"
    | "statusSource"
    | "statusAt"
    | "summary"
    | "stats"
    | "visible"
    | "profile"
    | "lease"
    | "lastPingAt"
    | "nodeId"
    | "displayName"
  >
>;

export interface MessageRow {
  id: string;
  meshId: string;
  senderMemberId: string;
  senderPresenceId: string;
  /** Key the sender encrypted with (proven session key, unproven hint, or member key). */
  senderPubkey: string;
  senderName: string;
  targetSpec: string;
  priority: Priority;
  nonce: string;
  ciphertext: string;
  bodyVersion: number | null;
  replyToId: string | null;
  clientMessageId: string | null;
  requestFingerprint: string | null;
  topicId: string | null;
  createdAt: number;
}

export interface NewDelivery {
  recipientKind: "member" | "session";
  recipientMemberId: string;
  recipientPubkey: string;
  excludedPresence: string | null;
}

/**
 * One send to commit (protocol.md §4.3 step 7). `message.createdAt` is the accept time: an idempotency
 * record 8 days older than it counts as absent. Deliveries of a message whose `targetSpec` is not a
 * 64-hex key are multicast (hidden presences never claim them).
 */
export interface AcceptInput {
  message: MessageRow;
  deliveries: NewDelivery[];
  /** Present when the send carried `client_message_id`; `fingerprint` is the effective fingerprint. */
  idempotency: { clientMessageId: string; fingerprint: string } | null;
}

export type AcceptOutcome =
  { kind: "created"; messageId: string } | { kind: "duplicate"; messageId: string } | { kind: "mismatch" };

export type DeliveryState = "pending" | "claimed" | "delivered" | "expired" | "cancelled";

/** What a presence may claim: its proven session key, and/or member-level rows of its member. */
export interface ClaimScope {
  meshId: string;
  presenceId: string;
  sessionPubkey: string | null;
  /**
   * Member-level rows of this member; null = no member-level rows. Rows whose `excludedPresence` is
   * `presenceId` are never claimed, session-level or member-level (a DM never echoes to its sender).
   */
  memberId: string | null;
  /** Priorities the presence's effective status lets through. */
  priorities: readonly Priority[];
  /** False for a hidden presence: it claims no multicast (non-DM) deliveries. */
  multicast: boolean;
}

export interface ClaimedDelivery {
  deliveryId: number;
  recipientKind: "member" | "session";
  recipientPubkey: string;
  /** Claims of this delivery so far, this one included. */
  attempts: number;
  /** Bodies of claimable deliveries are never dropped, so `nonce`/`ciphertext` are as sent. */
  message: MessageRow;
}

/**
 * A `client_ack` from a presence (protocol.md §4.9). It marks delivered the rows addressed to that
 * presence: same mesh, session-level for its proven `sessionPubkey`, or member-level for `memberId`, and
 * not excluding `presenceId`; still pending or claimed, whoever holds the claim (late acks count). The
 * message is matched by `brokerMessageId` when given, else by its `clientMessageId` (a sender-chosen id
 * must not let the ack of one message swallow another message's copy). Neither id: a no-op.
 */
export interface AckInput {
  meshId: string;
  presenceId: string;
  sessionPubkey: string | null;
  memberId: string;
  brokerMessageId: string | null;
  clientMessageId: string | null;
}

/** A recipient with deliveries to (re)offer: released claims, or claims whose lease expired and are due. */
export interface DueRecipient {
  meshId: string;
  recipientKind: "member" | "session";
  recipientMemberId: string;
  recipientPubkey: string;
}

export interface DeliveryStatusRow {
  recipientKind: "member" | "session";
  recipientMemberId: string;
  recipientPubkey: string;
  state: DeliveryState;
  deliveredAt: number | null;
}

export type MessageLookup =
  | { status: "ok"; message: MessageRow; deliveries: DeliveryStatusRow[] }
  | { status: "not_found" | "ambiguous" };

export interface SweepResult {
  expiredDeliveries: number;
  deletedBodies: number;
  deletedMessages: number;
  deletedIdempotency: number;
  deletedPresences: number;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /**
   * Applies pending migrations. Called once at start; idempotent. Rejects a database migrated by a newer
   * version of claudemesh.
   */
  migrate(): Promise<void>;
  /** Throws when the database cannot answer (readiness). */
  ping(): Promise<void>;
  /** Releases the connection(s); safe to call twice. */
  close(): Promise<void>;

  // meshes, members, invites
  /** Creates the mesh and its owner member together; rejects when the mesh id or owner key is taken. */
  createMesh(mesh: MeshRow, owner: MemberRow): Promise<void>;
  getMesh(meshId: string): Promise<MeshRow | null>;
  /** Including revoked members. */
  getMember(memberId: string): Promise<MemberRow | null>;
  /** Including revoked members. */
  findMemberByPubkey(meshId: string, pubkey: string): Promise<MemberRow | null>;
  /** Members of the mesh in `joinedAt` order; revoked ones only with `includeRevoked`. */
  listMembers(meshId: string, opts?: { includeRevoked?: boolean }): Promise<MemberRow[]>;
  /** Ban / leave (a time and reason), or unban (nulls). Deliveries are `revokeDeliveries`' job. */
  setMemberRevoked(memberId: string, revokedAt: number | null, reason: string | null): Promise<void>;
  /** Replaces the member's saved state. */
  saveMemberState(memberId: string, saved: SavedState): Promise<void>;
  /** 'conflict' when the code exists. */
  insertInvite(invite: InviteRow): Promise<"ok" | "conflict">;
  /** Whatever its state (expired, revoked, used up). */
  getInvite(code: string): Promise<InviteRow | null>;
  /**
   * Atomic claim: checks the claim hash, then an already-active member with this key (returned without
   * using a use), then expiry, revocation and uses (conditional increment), then creates the member.
   * The new member takes the invite's mesh and role. A revoked member with this key is reinstated under
   * its old id (using a use, `created: true`).
   */
  claimInvite(input: {
    code: string;
    claimHash: string;
    newMember: MemberRow;
    now: number;
  }): Promise<ClaimInviteResult>;

  // hello replay guard and rate limits (shared by all nodes)
  /** Records a verified signature until `expiresAt`; false when it is already recorded and unexpired. */
  recordSignature(signature: string, expiresAt: number, now: number): Promise<boolean>;
  /** Token bucket: takes one token from `key`; false when empty. Buckets start full. */
  takeToken(key: string, burst: number, refillPerSec: number, now: number): Promise<boolean>;

  // session keys ever proven in a mesh (stale-session DMs)
  /** The first member to prove a key in a mesh keeps it; later calls only refresh its last-seen time. */
  recordSessionKey(meshId: string, sessionPubkey: string, memberId: string, now: number): Promise<void>;
  /** The member id that proved `sessionPubkey` in the mesh, or null. */
  findSessionKeyOwner(meshId: string, sessionPubkey: string): Promise<string | null>;

  // presences
  /** Inserts or wholly replaces the row with this id (with `disconnectedAt: null` it is live again). */
  upsertPresence(row: PresenceRow): Promise<void>;
  /** Changes only the fields present in `patch` (an explicit null is written). */
  updatePresence(presenceId: string, patch: PresencePatch): Promise<void>;
  /** Batch `lastPingAt` update for the heartbeat. */
  touchPresences(presenceIds: string[], at: number): Promise<void>;
  /** Hides the presence from listings and counts; `upsertPresence` brings it back. */
  markPresenceDisconnected(presenceId: string, at: number): Promise<void>;
  /** Marks every presence held by `nodeId` disconnected (node shutdown / start). */
  disconnectNodePresences(nodeId: string, at: number): Promise<number>;
  /** Presences online or in grace, in `connectedAt` order. */
  listPresences(meshId: string): Promise<PresenceRow[]>;
  /** How many presences `listPresences` would return (the mesh capacity check). */
  countPresences(meshId: string): Promise<number>;

  // messages and deliveries
  /**
   * The idempotency record for (mesh, sender member, client_message_id) still alive at `now` (records
   * live 8 days), if any. `now` defaults to the current time.
   */
  findIdempotency(
    meshId: string,
    senderMemberId: string,
    clientMessageId: string,
    now?: number,
  ): Promise<{ fingerprint: string; messageId: string } | null>;
  /**
   * Per item, atomically: the message, its deliveries and its idempotency record; or, when the key is
   * already taken, nothing (`duplicate` with the original id for the same fingerprint, else `mismatch`).
   * A key repeated inside the batch is answered like a retry of the earlier item. Outcomes are in input
   * order. An item that fails (e.g. a reused message id) rejects the whole batch, which then wrote nothing.
   */
  acceptMessages(batch: AcceptInput[]): Promise<AcceptOutcome[]>;
  /**
   * Claims up to `limit` eligible deliveries per scope in accept order, atomically (concurrent claimers
   * get disjoint sets): pending ones, and claimed ones whose lease expired and whose `nextOfferAt` is due.
   * Returns one list per scope; scopes of one call never share a delivery. A claim sets the lease
   * (`now + leaseMs`), `attempts + 1` and `nextOfferAt`: the lease end, plus from the 5th attempt on the
   * re-offer backoff (1 min doubling, capped at 10 min), so no path can offer it early.
   */
  claimDeliveries(
    scopes: ClaimScope[],
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<ClaimedDelivery[][]>;
  /** Marks matching deliveries delivered; returns how many changed per input. */
  ackDeliveries(acks: AckInput[], now: number): Promise<number[]>;
  /** Marks the given deliveries delivered if they are still claimed (non-acking connections). */
  markDelivered(deliveryIds: number[], now: number): Promise<void>;
  /** Marks every delivery claimed by `presenceId` delivered (a connection found to be non-acking). */
  markPresenceClaimsDelivered(presenceId: string, now: number): Promise<number>;
  /**
   * Back to pending every delivery claimed by the presence, offerable at once (any backoff cleared);
   * returns the affected recipients.
   */
  releaseClaims(presenceId: string): Promise<DueRecipient[]>;
  /**
   * Recipients with claimed deliveries whose lease expired by `now` and whose `nextOfferAt` (which holds
   * the backoff of deliveries with `attempts >= 5`, see `claimDeliveries`) has come. Read-only: a
   * recipient stays due until its deliveries are claimed, released, acked or expired, so every node
   * that polls sees it.
   */
  dueRecipients(now: number): Promise<DueRecipient[]>;
  /**
   * Resets the re-offer backoff for a recipient (it reconnected): the member's member-level deliveries
   * and, when `sessionPubkey` is given, that key's session-level ones are due again at once.
   */
  resetBackoff(meshId: string, memberId: string, sessionPubkey: string | null): Promise<void>;
  /**
   * Undelivered session-level deliveries for that key (pending, or claimed by the gone session, whose
   * claims are void) become pending member-level deliveries of `memberId`, which must be the member they
   * were addressed to; `recipientPubkey` is kept. Returns how many moved.
   */
  retargetSessionDeliveries(meshId: string, sessionPubkey: string, memberId: string): Promise<number>;
  /** On ban: expire the member's undelivered deliveries and cancel undelivered ones it sent. */
  revokeDeliveries(memberId: string): Promise<void>;
  /**
   * `message_status`: id or 8-31 char prefix (case-sensitive) within the mesh, sent by `senderMemberId`;
   * other senders' messages neither match nor make a prefix ambiguous. Bodies dropped by retention read
   * as empty strings.
   */
  lookupMessage(meshId: string, senderMemberId: string, idOrPrefix: string): Promise<MessageLookup>;
  /** Undelivered deliveries (pending or claimed) for `/metrics`. */
  queueDepth(): Promise<number>;
  /**
   * Retention: expire deliveries undelivered after 7 days, drop the bodies of messages whose deliveries
   * are all finished, delete message metadata after 7 days, idempotency records after 8, expired replay
   * signatures, presences disconnected for 30 days and idle rate buckets. Topic messages keep their body
   * and metadata (topic history owns them).
   */
  sweep(now: number): Promise<SweepResult>;
}
