import type { AckInput, DeliveryStore } from "../port/index.js";
import type { SqliteContext } from "./db.js";

interface AckParams {
  mesh_id: string;
  presence_id: string;
  session_pubkey: string | null;
  member_id: string;
  id: string;
  now: number;
}

/**
 * Rows a presence may ack (protocol.md §4.9): same mesh, still open, addressed to its proven session key
 * or to its member, and not excluding it. A NULL session key matches nothing.
 */
const ACKABLE = `
  mesh_id = @mesh_id AND state IN ('pending', 'claimed')
  AND ((recipient_kind = 'session' AND recipient_pubkey = @session_pubkey)
       OR (recipient_kind = 'member' AND recipient_member_id = @member_id))
  AND (excluded_presence IS NULL OR excluded_presence <> @presence_id)`;

/** Acks, retargeting, ban revocation and queue depth. */
export function deliveryMethods(ctx: SqliteContext): DeliveryStore {
  const q = ctx.statements((db) => {
    const ackByBrokerId = db.prepare<AckParams>(
      `UPDATE deliveries SET state = 'delivered', delivered_at = @now
       WHERE message_seq = (SELECT seq FROM messages WHERE id = @id) AND ${ACKABLE}`,
    );
    // Client ids are searched among the presence's own open rows (few), so they need no index. One
    // statement per recipient kind keeps each on its own index.
    const clientIdMatches = "(SELECT client_message_id FROM messages WHERE seq = message_seq) = @id";
    const ackSessionByClientId = db.prepare<AckParams>(
      `UPDATE deliveries SET state = 'delivered', delivered_at = @now
       WHERE mesh_id = @mesh_id AND recipient_pubkey = @session_pubkey AND recipient_kind = 'session'
         AND ${clientIdMatches} AND ${ACKABLE}`,
    );
    const ackMemberByClientId = db.prepare<AckParams>(
      `UPDATE deliveries SET state = 'delivered', delivered_at = @now
       WHERE mesh_id = @mesh_id AND recipient_member_id = @member_id AND recipient_kind = 'member'
         AND ${clientIdMatches} AND ${ACKABLE}`,
    );
    const ackOne = (ack: AckInput, now: number): number => {
      // The broker id wins when both are given: a client id is chosen by the sender, and another
      // message's sender could reuse it to make this ack swallow a copy the presence never received.
      const params = {
        mesh_id: ack.meshId,
        presence_id: ack.presenceId,
        session_pubkey: ack.sessionPubkey,
        member_id: ack.memberId,
        now,
      };
      if (ack.brokerMessageId !== null)
        return ackByBrokerId.run({ ...params, id: ack.brokerMessageId }).changes;
      if (ack.clientMessageId === null) return 0;
      const byClient = { ...params, id: ack.clientMessageId };
      const sessionRows = ack.sessionPubkey === null ? 0 : ackSessionByClientId.run(byClient).changes;
      return sessionRows + ackMemberByClientId.run(byClient).changes;
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
      ack: db.transaction((acks: AckInput[], now: number) => acks.map((ack) => ackOne(ack, now))),
      deliver: db.transaction((ids: number[], now: number) => {
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
      revoke: db.transaction((memberId: string) => {
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
      return acks.length === 0 ? [] : q().ack.immediate(acks, now);
    },
    async markDelivered(deliveryIds, now) {
      if (deliveryIds.length > 0) q().deliver.immediate(deliveryIds, now);
    },
    async retargetSessionDeliveries(meshId, sessionPubkey, memberId) {
      return q().retarget.run({ mesh_id: meshId, pubkey: sessionPubkey, member_id: memberId }).changes;
    },
    async revokeDeliveries(memberId) {
      q().revoke.immediate(memberId);
    },
    async queueDepth() {
      return q().depth.get() ?? 0;
    },
  };
}
