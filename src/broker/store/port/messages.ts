/** Accepting messages (protocol.md §4.3 step 7, §4.5) and `message_status` lookups (§4.11). */
import type { Priority } from "../../../protocol/index.js";
import type { DeliveryStatusRow } from "./deliveries.js";

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
  /** `"reminder"` for a scheduled message's fire (§6.5), echoed on its pushes; absent otherwise. */
  subtype?: string | null;
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

/** The idempotency key of a send (protocol.md §4.5). */
export interface IdempotencyKey {
  meshId: string;
  senderMemberId: string;
  clientMessageId: string;
}

export interface IdempotencyRecord {
  /** The effective fingerprint the key was first accepted with. */
  fingerprint: string;
  messageId: string;
}

export type MessageLookup =
  | { status: "ok"; message: MessageRow; deliveries: DeliveryStatusRow[] }
  | { status: "not_found" | "ambiguous" };

export interface MessageStore {
  /**
   * Per key, in input order: the idempotency record still alive at `now` (records live 8 days), or null.
   * One call answers a whole batch of sends.
   */
  findIdempotencies(keys: IdempotencyKey[], now: number): Promise<(IdempotencyRecord | null)[]>;
  /**
   * Per item, atomically: the message, its deliveries and its idempotency record; or, when the key is
   * already taken, nothing (`duplicate` with the original id for the same fingerprint, else `mismatch`).
   * A key repeated inside the batch is answered like a retry of the earlier item. Outcomes are in input
   * order. An item that fails (e.g. a reused message id) rejects the whole batch, which then wrote nothing.
   */
  acceptMessages(batch: AcceptInput[]): Promise<AcceptOutcome[]>;
  /**
   * `message_status`: id or 8-31 char prefix (case-sensitive) within the mesh, sent by `senderMemberId`;
   * other senders' messages neither match nor make a prefix ambiguous. Bodies dropped by retention read
   * as empty strings.
   */
  lookupMessage(meshId: string, senderMemberId: string, idOrPrefix: string): Promise<MessageLookup>;
}
