import type { SweepStore } from "../port/index.js";
import {
  DELIVERY_RETENTION_MS,
  DISCONNECTED_PRESENCE_RETENTION_MS,
  IDEMPOTENCY_RETENTION_MS,
  IDLE_RATE_BUCKET_RETENTION_MS,
} from "../retention.js";
import type { PgContext } from "./db.js";

/**
 * Retention (protocol.md §3.2, §4.5, §4.6, §2.5) in one transaction, each step bounded by a `LIMIT` in a
 * subquery (PostgreSQL has no `UPDATE … LIMIT`). Steps run in order, oldest rows first (as SQLite's scans
 * go), so the messages a round deletes are the ones whose deliveries it expired. Topic messages are left
 * to topic history.
 */
export function sweepMethods(ctx: PgContext): SweepStore {
  return {
    async sweep(now, limit) {
      if (!Number.isSafeInteger(limit) || limit <= 0)
        throw new RangeError(`sweep limit must be a positive integer, got ${limit}`);
      const deliveryCutoff = now - DELIVERY_RETENTION_MS;
      return ctx.run(true, async (db) => {
        const expiredDeliveries = await db`
          UPDATE deliveries SET state = 'expired' WHERE id IN (
            SELECT d.id FROM messages m JOIN deliveries d ON d.message_seq = m.seq
            WHERE m.created_at <= ${deliveryCutoff} AND d.state IN ('pending', 'claimed')
            ORDER BY d.id LIMIT ${limit})`;
        const deletedBodies = await db`
          UPDATE messages SET nonce = NULL, ciphertext = NULL WHERE seq IN (
            SELECT m.seq FROM messages m
            WHERE m.ciphertext IS NOT NULL AND m.topic_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM deliveries d
                              WHERE d.message_seq = m.seq AND d.state IN ('pending', 'claimed'))
            LIMIT ${limit})`;
        // Deliveries go with their message (no foreign key does it: see migration 10).
        const [deletedMessages] = await db<[{ count: number }]>`
          WITH gone AS (
            DELETE FROM messages WHERE seq IN (
              SELECT seq FROM messages WHERE created_at <= ${deliveryCutoff} AND topic_id IS NULL
              ORDER BY seq LIMIT ${limit})
            RETURNING seq
          ), their_deliveries AS (
            DELETE FROM deliveries WHERE message_seq IN (SELECT seq FROM gone)
          )
          SELECT count(*)::int AS count FROM gone`;
        const deletedIdempotency = await db`
          DELETE FROM idempotency WHERE (mesh_id, sender_member_id, client_message_id) IN (
            SELECT mesh_id, sender_member_id, client_message_id FROM idempotency
            WHERE created_at <= ${now - IDEMPOTENCY_RETENTION_MS} LIMIT ${limit})`;
        const deletedPresences = await db`
          DELETE FROM presences WHERE id IN (
            SELECT id FROM presences
            WHERE disconnected_at IS NOT NULL AND disconnected_at <= ${now - DISCONNECTED_PRESENCE_RETENTION_MS}
            LIMIT ${limit})`;
        const signatures = await db`
          DELETE FROM replay_signatures WHERE signature IN (
            SELECT signature FROM replay_signatures WHERE expires_at <= ${now} LIMIT ${limit})`;
        const buckets = await db`
          DELETE FROM rate_buckets WHERE key IN (
            SELECT key FROM rate_buckets WHERE updated_at <= ${now - IDLE_RATE_BUCKET_RETENTION_MS} LIMIT ${limit})`;
        const counts = {
          expiredDeliveries: expiredDeliveries.count,
          deletedBodies: deletedBodies.count,
          deletedMessages: deletedMessages.count,
          deletedIdempotency: deletedIdempotency.count,
          deletedPresences: deletedPresences.count,
        };
        const done = [...Object.values(counts), signatures.count, buckets.count].every((n) => n < limit);
        return { ...counts, done };
      });
    },
  };
}
