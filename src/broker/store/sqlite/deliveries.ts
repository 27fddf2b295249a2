import type { AckInput, DeliveryStore } from "../port/index.js";
import type { SqliteContext } from "./db.js";

/**
 * Rows a presence may ack (protocol.md §4.9): same mesh, still open, addressed to its proven session key
 * or to its member, and not excluding it. A NULL session key matches nothing. Bound positionally, after
 * the statement's own parameters, by {@link ackableValues} (acks run once per message).
 */
const ACKABLE = `
  mesh_id = ? AND state IN ('pending', 'claimed')
  AND ((recipient_kind = 'session' AND recipient_pubkey = ?)
       OR (recipient_kind = 'member' AND recipient_member_id = ?))
  AND (excluded_presence IS NULL OR excluded_presence <> ?)`;

type AckableValues = [meshId: string, sessionPubkey: string | null, memberId: string, presenceId: string];

function ackableValues(ack: AckInput): AckableValues {
  return [ack.meshId, ack.sessionPubkey, ack.memberId, ack.presenceId];
}

/** Acks, retargeting, ban revocation and queue depth. */
export function deliveryMethods(ctx: SqliteContext): DeliveryStore {
  const q = ctx.statements((db) => {
    const ackByBrokerId = db.prepare<[now: number, messageId: string, ...AckableValues]>(
      `UPDATE deliveries SET state = 'delivered', delivered_at = ?
       WHERE message_seq = (SELECT seq FROM messages WHERE id = ?) AND ${ACKABLE}`,
    );
    // Client ids are searched among the presence's own open rows (few), so they need no index. One
    // statement per recipient kind keeps each on its own index.
    const clientIdMatches = "(SELECT client_message_id FROM messages WHERE seq = message_seq) = ?";
    const ackSessionByClientId = db.prepare<
      [now: number, meshId: string, sessionPubkey: string, clientId: string, ...AckableValues]
    >(
      `UPDATE deliveries SET state = 'delivered', delivered_at = ?
       WHERE mesh_id = ? AND recipient_pubkey = ? AND recipient_kind = 'session'
         AND ${clientIdMatches} AND ${ACKABLE}`,
    );
    const ackMemberByClientId = db.prepare<
      [now: number, meshId: string, memberId: string, clientId: string, ...AckableValues]
    >(
      `UPDATE deliveries SET state = 'delivered', delivered_at = ?
       WHERE mesh_id = ? AND recipient_member_id = ? AND recipient_kind = 'member'
         AND ${clientIdMatches} AND ${ACKABLE}`,
    );
    const ackOne = (ack: AckInput, now: number): number => {
      // The broker id wins when both are given: a client id is chosen by the sender, and another
      // message's sender could reuse it to make this ack swallow a copy the presence never received.
      const ackable = ackableValues(ack);
      if (ack.brokerMessageId !== null)
        return ackByBrokerId.run(now, ack.brokerMessageId, ...ackable).changes;
      const clientId = ack.clientMessageId;
      if (clientId === null) return 0;
      const sessionRows =
        ack.sessionPubkey === null
          ? 0
          : ackSessionByClientId.run(now, ack.meshId, ack.sessionPubkey, clientId, ...ackable).changes;
      return (
        sessionRows + ackMemberByClientId.run(now, ack.meshId, ack.memberId, clientId, ...ackable).changes
      );
    };
    const deliver = db.prepare<[number, number]>(
      "UPDATE deliveries SET state = 'delivered', delivered_at = ? WHERE id = ? AND state = 'claimed'",
    );
    const expireReceived = db.prepare<{ member_id: string }>(
      `UPDATE deliveries SET state = 'expired'
       WHERE mesh_id = (SELECT mesh_id FROM members WHERE id = @member_id)
         AND recipient_member_id = @member_id AND state IN ('pending', 'claimed')`,
    );
    const cancelSent = db.prepare<{ member_id: string }>(
      `UPDATE deliveries SET state = 'cancelled'
       WHERE message_seq IN (SELECT seq FROM messages WHERE sender_member_id = @member_id)
         AND state IN ('pending', 'claimed')`,
    );
    return {
      ack: ctx.atomic((acks: AckInput[], now: number) => acks.map((ack) => ackOne(ack, now))),
      deliver: ctx.atomic((ids: number[], now: number) => {
        for (const id of ids) deliver.run(now, id);
      }),
      // Claims held by the gone session are void too (it has no socket left to ack on): released like
      // releaseClaims does, so the member gets them at once.
      retarget: db.prepare<{ mesh_id: string; pubkey: string; member_id: string }>(
        `UPDATE deliveries SET recipient_kind = 'member', state = 'pending', claim_presence_id = NULL,
           claim_expires_at = NULL, next_offer_at = 0
         WHERE mesh_id = @mesh_id AND recipient_pubkey = @pubkey AND recipient_kind = 'session'
           AND state IN ('pending', 'claimed') AND recipient_member_id = @member_id`,
      ),
      revoke: ctx.atomic((memberId: string) => {
        expireReceived.run({ member_id: memberId });
        cancelSent.run({ member_id: memberId });
      }),
      depth: db
        .prepare<[], number>("SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'claimed')")
        .pluck(),
    };
  });

  return {
    async ackDeliveries(acks, now) {
      return acks.length === 0 ? [] : q().ack(acks, now);
    },
    async markDelivered(deliveryIds, now) {
      if (deliveryIds.length > 0) q().deliver(deliveryIds, now);
    },
    async retargetSessionDeliveries(meshId, sessionPubkey, memberId) {
      return q().retarget.run({ mesh_id: meshId, pubkey: sessionPubkey, member_id: memberId }).changes;
    },
    async revokeDeliveries(memberId) {
      q().revoke(memberId);
    },
    async queueDepth() {
      return q().depth.get() ?? 0;
    },
  };
}
