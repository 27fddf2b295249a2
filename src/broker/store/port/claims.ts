/** Claiming deliveries for a presence, leases, release and redelivery (protocol.md §4.6). */
import type { Priority } from "../../../protocol/index.js";
import type { MessageRow } from "./messages.js";

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

/** A recipient with deliveries to (re)offer: released claims, or claims whose lease expired and are due. */
export interface DueRecipient {
  meshId: string;
  recipientKind: "member" | "session";
  recipientMemberId: string;
  recipientPubkey: string;
}

export interface ClaimStore {
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
}
