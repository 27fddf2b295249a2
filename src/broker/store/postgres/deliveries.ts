import type { AckInput, DeliveryStore } from "../port/index.js";
import type { Db, PgContext } from "./db.js";

/**
 * One ack (protocol.md §4.9): rows of the message addressed to the acking presence (same mesh, still
 * open, its proven session key or its member, not excluding it; a null session key matches nothing).
 * The broker id wins when both ids are given: a client id is chosen by the sender, and another message's
 * sender could reuse it to make this ack swallow a copy the presence never received. Client ids are
 * searched among the presence's own open rows (few), so they need no index.
 */
async function ackOne(db: Db, ack: AckInput, now: number): Promise<number> {
  const message =
    ack.brokerMessageId !== null
      ? db`d.message_seq = (SELECT seq FROM messages WHERE id = ${ack.brokerMessageId})`
      : ack.clientMessageId !== null
        ? db`(SELECT client_message_id FROM messages WHERE seq = d.message_seq) = ${ack.clientMessageId}`
        : null;
  if (message === null) return 0;
  const result = await db`
    UPDATE deliveries d SET state = 'delivered', delivered_at = ${now}
    WHERE ${message} AND d.mesh_id = ${ack.meshId} AND d.state IN ('pending', 'claimed')
      AND ((d.recipient_kind = 'session' AND d.recipient_pubkey = ${ack.sessionPubkey}::text)
           OR (d.recipient_kind = 'member' AND d.recipient_member_id = ${ack.memberId}))
      AND (d.excluded_presence IS NULL OR d.excluded_presence <> ${ack.presenceId})`;
  return result.count;
}

/** Acks, retargeting, ban revocation and queue depth. */
export function deliveryMethods(ctx: PgContext): DeliveryStore {
  return {
    async ackDeliveries(acks, now) {
      if (acks.length === 0) return [];
      // One statement per ack, pipelined, run in input order: an ack finds what earlier ones left open.
      return ctx.run(true, (db) => Promise.all(acks.map((ack) => ackOne(db, ack, now))));
    },
    async markDelivered(deliveryIds, now) {
      if (deliveryIds.length === 0) return;
      await ctx.run(
        false,
        (db) => db`
          UPDATE deliveries SET state = 'delivered', delivered_at = ${now}
          WHERE id = ANY(${deliveryIds}::bigint[]) AND state = 'claimed'`,
      );
    },
    async retargetSessionDeliveries(meshId, sessionPubkey, memberId) {
      // Claims held by the gone session are void too (it has no socket left to ack on): released like
      // releaseClaims does, so the member gets them at once.
      const result = await ctx.run(
        false,
        (db) => db`
          UPDATE deliveries SET recipient_kind = 'member', state = 'pending', claim_presence_id = NULL,
            claim_expires_at = NULL, next_offer_at = 0
          WHERE mesh_id = ${meshId} AND recipient_pubkey = ${sessionPubkey} AND recipient_kind = 'session'
            AND state IN ('pending', 'claimed') AND recipient_member_id = ${memberId}`,
      );
      return result.count;
    },
    async revokeDeliveries(memberId) {
      await ctx.run(true, async (db) => {
        await db`
          UPDATE deliveries SET state = 'expired'
          WHERE mesh_id = (SELECT mesh_id FROM members WHERE id = ${memberId})
            AND recipient_member_id = ${memberId} AND state IN ('pending', 'claimed')`;
        await db`
          UPDATE deliveries SET state = 'cancelled'
          WHERE message_seq IN (SELECT seq FROM messages WHERE sender_member_id = ${memberId})
            AND state IN ('pending', 'claimed')`;
      });
    },
    async queueDepth() {
      const [row] = await ctx.run(
        false,
        (db) =>
          db<{ n: number }[]>`SELECT COUNT(*) AS n FROM deliveries WHERE state IN ('pending', 'claimed')`,
      );
      return row?.n ?? 0;
    },
  };
}
