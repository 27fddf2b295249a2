/**
 * The broker's storage port. Two adapters implement it (SQLite, PostgreSQL) and one contract suite
 * (test/contract/store-contract.ts) runs against both. Every method is atomic on its own; methods taking
 * arrays handle the whole batch in one transaction (the hot path batches per event-loop turn).
 *
 * Times are epoch milliseconds. Ids are opaque strings made by the caller (the broker), so adapters
 * never invent identity.
 */
import type { GroupRef, MemberRole, PeerRole, PresenceStatus, Priority, Profile, Stats, StatusSource } from "../../protocol/index.js";

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

export interface AcceptInput {
  message: MessageRow;
  deliveries: NewDelivery[];
  /** Present when the send carried `client_message_id`; `fingerprint` is the effective fingerprint. */
  idempotency: { clientMessageId: string; fingerprint: string } | null;
}

export type AcceptOutcome =
  | { kind: "created"; messageId: string }
  | { kind: "duplicate"; messageId: string }
  | { kind: "mismatch" };

export type DeliveryState = "pending" | "claimed" | "delivered" | "expired" | "cancelled";

/** What a presence may claim: its proven session key, and/or member-level rows of its member. */
export interface ClaimScope {
  meshId: string;
  presenceId: string;
  sessionPubkey: string | null;
  /** Member-level rows of this member, except those excluding `presenceId`; null = no member-level rows. */
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
  attempts: number;
  message: MessageRow;
}

/** A `client_ack` from a presence, scoped like a claim (protocol.md §4.9). */
export interface AckInput {
  meshId: string;
  presenceId: string;
  sessionPubkey: string | null;
  memberId: string;
  brokerMessageId: string | null;
  clientMessageId: string | null;
}

/** A recipient with deliveries to (re)offer: claimed with an expired lease, or pending and due again. */
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
  /** Applies pending migrations. Called once at start. */
  migrate(): Promise<void>;
  /** Throws when the database cannot answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;

  // meshes, members, invites
  createMesh(mesh: MeshRow, owner: MemberRow): Promise<void>;
  getMesh(meshId: string): Promise<MeshRow | null>;
  getMember(memberId: string): Promise<MemberRow | null>;
  /** Including revoked members. */
  findMemberByPubkey(meshId: string, pubkey: string): Promise<MemberRow | null>;
  listMembers(meshId: string, opts?: { includeRevoked?: boolean }): Promise<MemberRow[]>;
  setMemberRevoked(memberId: string, revokedAt: number | null, reason: string | null): Promise<void>;
  saveMemberState(memberId: string, saved: SavedState): Promise<void>;
  /** 'conflict' when the code exists. */
  insertInvite(invite: InviteRow): Promise<"ok" | "conflict">;
  getInvite(code: string): Promise<InviteRow | null>;
  /**
   * Atomic claim: checks the claim hash, then an already-active member with this key (returned without
   * using a use), then expiry, revocation and uses (conditional increment), then creates the member.
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
  recordSessionKey(meshId: string, sessionPubkey: string, memberId: string, now: number): Promise<void>;
  findSessionKeyOwner(meshId: string, sessionPubkey: string): Promise<string | null>;

  // presences
  upsertPresence(row: PresenceRow): Promise<void>;
  updatePresence(presenceId: string, patch: PresencePatch): Promise<void>;
  /** Batch `lastPingAt` update for the heartbeat. */
  touchPresences(presenceIds: string[], at: number): Promise<void>;
  markPresenceDisconnected(presenceId: string, at: number): Promise<void>;
  /** Marks every presence held by `nodeId` disconnected (node shutdown / start). */
  disconnectNodePresences(nodeId: string, at: number): Promise<number>;
  /** Presences online or in grace, in `connectedAt` order. */
  listPresences(meshId: string): Promise<PresenceRow[]>;
  countPresences(meshId: string): Promise<number>;

  // messages and deliveries
  /** The unexpired idempotency record for (mesh, sender member, client_message_id), if any. */
  findIdempotency(
    meshId: string,
    senderMemberId: string,
    clientMessageId: string,
  ): Promise<{ fingerprint: string; messageId: string } | null>;
  acceptMessages(batch: AcceptInput[]): Promise<AcceptOutcome[]>;
  /**
   * Claims up to `limit` eligible deliveries per scope in accept order, atomically (concurrent claimers
   * get disjoint sets): pending ones, and claimed ones whose lease expired and whose `nextOfferAt` is due.
   */
  claimDeliveries(scopes: ClaimScope[], now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[][]>;
  /** Marks matching deliveries delivered; returns how many changed per input. */
  ackDeliveries(acks: AckInput[], now: number): Promise<number[]>;
  /** Marks the given claimed deliveries delivered (non-acking connections). */
  markDelivered(deliveryIds: number[], now: number): Promise<void>;
  /** Marks every delivery claimed by `presenceId` delivered (a connection found to be non-acking). */
  markPresenceClaimsDelivered(presenceId: string, now: number): Promise<number>;
  /** Back to pending every delivery claimed by the presence; returns the affected recipients. */
  releaseClaims(presenceId: string): Promise<DueRecipient[]>;
  /**
   * Recipients with claimed deliveries whose lease expired by `now`. Deliveries with `attempts >= 5`
   * get `nextOfferAt` pushed back (1 min doubling, capped at 10 min) and are not due until then.
   */
  dueRecipients(now: number): Promise<DueRecipient[]>;
  /** Resets the re-offer backoff for a recipient (it reconnected). */
  resetBackoff(meshId: string, memberId: string, sessionPubkey: string | null): Promise<void>;
  /** Pending session-level deliveries for that key become member-level for its member. */
  retargetSessionDeliveries(meshId: string, sessionPubkey: string, memberId: string): Promise<number>;
  /** On ban: expire the member's undelivered deliveries and cancel undelivered ones it sent. */
  revokeDeliveries(memberId: string): Promise<void>;
  /** `message_status`: id or 8-31 char prefix within the mesh, sent by `senderMemberId`. */
  lookupMessage(meshId: string, senderMemberId: string, idOrPrefix: string): Promise<MessageLookup>;
  /** Undelivered deliveries (pending or claimed) for `/metrics`. */
  queueDepth(): Promise<number>;
  /** Retention: expire old deliveries, drop finished bodies, old metadata, idempotency, replay, presences. */
  sweep(now: number): Promise<SweepResult>;
}
