/** Acks, delivery state changes and queue depth (protocol.md §4.6-§4.10). */

export type DeliveryState = "pending" | "claimed" | "delivered" | "expired" | "cancelled";

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

export interface DeliveryStatusRow {
  recipientKind: "member" | "session";
  recipientMemberId: string;
  recipientPubkey: string;
  state: DeliveryState;
  deliveredAt: number | null;
}

export interface DeliveryStore {
  /** Marks matching deliveries delivered; returns how many changed per input. */
  ackDeliveries(acks: AckInput[], now: number): Promise<number[]>;
  /** Marks the given deliveries delivered if they are still claimed (non-acking connections). */
  markDelivered(deliveryIds: number[], now: number): Promise<void>;
  /**
   * Undelivered session-level deliveries for that key (pending, or claimed by the gone session, whose
   * claims are void) become pending member-level deliveries of `memberId`, which must be the member they
   * were addressed to; `recipientPubkey` is kept. Returns how many moved.
   */
  retargetSessionDeliveries(meshId: string, sessionPubkey: string, memberId: string): Promise<number>;
  /** On ban: expire the member's undelivered deliveries and cancel undelivered ones it sent. */
  revokeDeliveries(memberId: string): Promise<void>;
  /** Undelivered deliveries (pending or claimed) for `/metrics`. */
  queueDepth(): Promise<number>;
}
