import type { AckInput, DeliveryStore } from "../port/index.js";
import { itemsTable, type Db, type ItemColumn, type PgContext } from "./db.js";

/**
 * Which open rows an ack may mark (protocol.md §4.9): addressed to the acking presence's proven session
 * key or to its member, not excluding it (a null session key matches nothing). Each statement says "open"
 * its own way (see {@link ackByBrokerId}).
 */
const ACKABLE = (db: Db) => db`
  ((d.recipient_kind = 'session' AND d.recipient_pubkey = a.session_pubkey)
   OR (d.recipient_kind = 'member' AND d.recipient_member_id = a.member_id))
  AND (d.excluded_presence IS NULL OR d.excluded_presence <> a.presence_id)`;

const ACK_COLUMNS: readonly ItemColumn<AckInput>[] = [
  ["message_id", "text", (a) => a.brokerMessageId],
  ["mesh_id", "text", (a) => a.meshId],
  ["session_pubkey", "text", (a) => a.sessionPubkey],
  ["member_id", "text", (a) => a.memberId],
  ["presence_id", "text", (a) => a.presenceId],
];

/**
 * Acks by broker id, in one statement; returns how many rows each ack marked (two acks of a row mark it
 * once). Rows are found through their message (looked up first, by id; the mesh is checked on it, as a
 * delivery's mesh is its message's), then joined on `message_seq` alone. "Open" is written as "not
 * finished" so that the open-rows partial indexes (`state IN ('pending', 'claimed')`) are not on offer:
 * through them the planner joined every open row with every ack, which it costs as cheap while the
 * table's statistics are young, and which took ~4 ms per batch. For the same reason each message is
 * looked up by key whatever the statistics say (the LIMIT keeps the planner from making it a join): a
 * plan made while `messages` was small otherwise scans the whole table on every batch.
 */
async function ackByBrokerId(db: Db, acks: AckInput[], now: number): Promise<number[]> {
  const counts = acks.map(() => 0);
  if (acks.length === 0) return counts;
  const rows = await db<{ ord: number }[]>`
    WITH a AS MATERIALIZED (
      SELECT a.*, m.seq FROM ${itemsTable(db, "a", acks, ACK_COLUMNS)}
      CROSS JOIN LATERAL (
        SELECT seq FROM messages m WHERE m.id = a.message_id AND m.mesh_id = a.mesh_id LIMIT 1
      ) m
    )
    UPDATE deliveries d SET state = 'delivered', delivered_at = ${now}
    FROM a
    WHERE d.message_seq = a.seq AND d.state NOT IN ('delivered', 'expired', 'cancelled') AND ${ACKABLE(db)}
    RETURNING a.ord`;
  for (const { ord } of rows) counts[ord - 1]!++;
  return counts;
}

/**
 * Acks by client id alone, one statement each, run in order; returns how many rows each marked. A client
 * id is chosen by its sender, so it is searched among the acking presence's own open rows (few), which
 * needs no index.
 */
async function ackByClientId(db: Db, acks: AckInput[], now: number): Promise<number[]> {
  const counts: number[] = [];
  for (const ack of acks) {
    const result = await db`
      UPDATE deliveries d SET state = 'delivered', delivered_at = ${now}
      FROM (VALUES (${ack.sessionPubkey}::text, ${ack.memberId}::text, ${ack.presenceId}::text))
           AS a(session_pubkey, member_id, presence_id)
      WHERE d.mesh_id = ${ack.meshId}
        AND (SELECT client_message_id FROM messages WHERE seq = d.message_seq) = ${ack.clientMessageId}
        AND d.state IN ('pending', 'claimed') AND ${ACKABLE(db)}`;
    counts.push(result.count);
  }
  return counts;
}

/** Acks, retargeting, ban revocation and queue depth. */
export function deliveryMethods(ctx: PgContext): DeliveryStore {
  return {
    async ackDeliveries(acks, now) {
      if (acks.length === 0) return [];
      // The broker id wins when both ids are given: a client id is chosen by the sender, and another
      // message's sender could reuse it to make this ack swallow a copy the presence never received.
      const byBroker = acks.filter((a) => a.brokerMessageId !== null);
      const byClient = acks.filter((a) => a.brokerMessageId === null && a.clientMessageId !== null);
      const [broker, client] = await ctx.run(true, (db) =>
        Promise.all([ackByBrokerId(db, byBroker, now), ackByClientId(db, byClient, now)]),
      );
      const counts = new Map<AckInput, number>();
      byBroker.forEach((ack, i) => counts.set(ack, broker[i]!));
      byClient.forEach((ack, i) => counts.set(ack, client[i]!));
      return acks.map((ack) => counts.get(ack) ?? 0);
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
