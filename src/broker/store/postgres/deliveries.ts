import type { AckInput, DeliveryStore } from "../port/index.js";
import type { Db, PgContext } from "./db.js";

/**
 * Acks (protocol.md §4.9), in one statement for the whole batch: per ack, the open rows of its message
 * addressed to the acking presence (same mesh, its proven session key or its member, not excluding it; a
 * null session key matches nothing). The broker id wins when both ids are given: a client id is chosen
 * by the sender, and another message's sender could reuse it to make this ack swallow a copy the presence
 * never received. Client ids are searched among the presence's own open rows (few), so they need no
 * index. A row two acks of the batch match counts for the earlier one, as if they ran in input order.
 */
async function ackAll(db: Db, acks: AckInput[], now: number): Promise<number[]> {
  const column = <K extends keyof AckInput>(key: K) => acks.map((a) => a[key]);
  const rows = await db<{ ord: number }[]>`
    WITH a AS (
      SELECT * FROM unnest(${column("meshId")}::text[], ${column("presenceId")}::text[],
                           ${column("sessionPubkey")}::text[], ${column("memberId")}::text[],
                           ${column("brokerMessageId")}::text[], ${column("clientMessageId")}::text[])
        WITH ORDINALITY AS a(mesh_id, presence_id, session_pubkey, member_id, broker_id, client_id, ord)
    ),
    matched AS (
      SELECT a.ord, d.id FROM a
      JOIN messages m ON m.id = a.broker_id
      JOIN deliveries d ON d.message_seq = m.seq
      WHERE a.broker_id IS NOT NULL
      UNION ALL
      SELECT a.ord, d.id FROM a
      JOIN deliveries d ON d.mesh_id = a.mesh_id
        AND (d.recipient_pubkey = a.session_pubkey OR d.recipient_member_id = a.member_id)
      JOIN messages m ON m.seq = d.message_seq AND m.client_message_id = a.client_id
      WHERE a.broker_id IS NULL AND a.client_id IS NOT NULL AND d.state IN ('pending', 'claimed')
    ),
    target AS (
      SELECT DISTINCT ON (d.id) d.id, x.ord FROM matched x
      JOIN deliveries d ON d.id = x.id
      JOIN a ON a.ord = x.ord
      WHERE d.mesh_id = a.mesh_id AND d.state IN ('pending', 'claimed')
        AND ((d.recipient_kind = 'session' AND d.recipient_pubkey = a.session_pubkey)
             OR (d.recipient_kind = 'member' AND d.recipient_member_id = a.member_id))
        AND (d.excluded_presence IS NULL OR d.excluded_presence <> a.presence_id)
      ORDER BY d.id, x.ord
    )
    UPDATE deliveries d SET state = 'delivered', delivered_at = ${now}
    FROM target t WHERE d.id = t.id AND d.state IN ('pending', 'claimed')
    RETURNING t.ord`;
  const counts = acks.map(() => 0);
  for (const { ord } of rows) counts[ord - 1] = (counts[ord - 1] ?? 0) + 1;
  return counts;
}

/** Acks, retargeting, ban revocation and queue depth. */
export function deliveryMethods(ctx: PgContext): DeliveryStore {
  return {
    async ackDeliveries(acks, now) {
      if (acks.length === 0) return [];
      return ctx.run(false, (db) => ackAll(db, acks, now));
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
