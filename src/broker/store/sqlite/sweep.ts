import type { SweepResult, SweepStore } from "../port/index.js";
import {
  DELIVERY_RETENTION_MS,
  DISCONNECTED_PRESENCE_RETENTION_MS,
  IDEMPOTENCY_RETENTION_MS,
  IDLE_RATE_BUCKET_RETENTION_MS,
} from "../retention.js";
import type { SqliteContext } from "./db.js";

interface Bounded {
  cutoff: number;
  limit: number;
}

/**
 * Retention (protocol.md §3.2, §4.5, §4.6, §2.5), each step bounded by a `LIMIT` in a subquery (this
 * SQLite has no `UPDATE … LIMIT`). Topic messages are left to topic history.
 */
export function sweepMethods(ctx: SqliteContext): SweepStore {
  const q = ctx.statements((db) => {
    const expireDeliveries = db.prepare<Bounded>(
      `UPDATE deliveries SET state = 'expired' WHERE id IN (
         SELECT d.id FROM messages m JOIN deliveries d ON d.message_seq = m.seq
         WHERE m.created_at <= @cutoff AND d.state IN ('pending', 'claimed') LIMIT @limit)`,
    );
    const dropBodies = db.prepare<{ limit: number }>(
      `UPDATE messages SET nonce = NULL, ciphertext = NULL WHERE seq IN (
         SELECT seq FROM messages
         WHERE ciphertext IS NOT NULL AND topic_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM deliveries d
                           WHERE d.message_seq = messages.seq AND d.state IN ('pending', 'claimed'))
         LIMIT @limit)`,
    );
    // Deliveries go with their message (ON DELETE CASCADE).
    const deleteMessages = db.prepare<Bounded>(
      `DELETE FROM messages WHERE seq IN (
         SELECT seq FROM messages WHERE created_at <= @cutoff AND topic_id IS NULL LIMIT @limit)`,
    );
    const deleteIdempotency = db.prepare<Bounded>(
      `DELETE FROM idempotency WHERE (mesh_id, sender_member_id, client_message_id) IN (
         SELECT mesh_id, sender_member_id, client_message_id FROM idempotency
         WHERE created_at <= @cutoff LIMIT @limit)`,
    );
    const deleteSignatures = db.prepare<Bounded>(
      `DELETE FROM replay_signatures WHERE signature IN (
         SELECT signature FROM replay_signatures WHERE expires_at <= @cutoff LIMIT @limit)`,
    );
    const deletePresences = db.prepare<Bounded>(
      `DELETE FROM presences WHERE id IN (
         SELECT id FROM presences WHERE disconnected_at IS NOT NULL AND disconnected_at <= @cutoff
         LIMIT @limit)`,
    );
    const deleteBuckets = db.prepare<Bounded>(
      `DELETE FROM rate_buckets WHERE key IN (
         SELECT key FROM rate_buckets WHERE updated_at <= @cutoff LIMIT @limit)`,
    );

    return ctx.atomic((now: number, limit: number): SweepResult => {
      const deliveryCutoff = now - DELIVERY_RETENTION_MS;
      const counts = {
        expiredDeliveries: expireDeliveries.run({ cutoff: deliveryCutoff, limit }).changes,
        deletedBodies: dropBodies.run({ limit }).changes,
        deletedMessages: deleteMessages.run({ cutoff: deliveryCutoff, limit }).changes,
        deletedIdempotency: deleteIdempotency.run({ cutoff: now - IDEMPOTENCY_RETENTION_MS, limit }).changes,
        deletedPresences: deletePresences.run({
          cutoff: now - DISCONNECTED_PRESENCE_RETENTION_MS,
          limit,
        }).changes,
      };
      const signatures = deleteSignatures.run({ cutoff: now, limit }).changes;
      const buckets = deleteBuckets.run({ cutoff: now - IDLE_RATE_BUCKET_RETENTION_MS, limit }).changes;
      const done = [...Object.values(counts), signatures, buckets].every((n) => n < limit);
      return { ...counts, done };
    });
  });

  return {
    async sweep(now, limit) {
      if (!Number.isSafeInteger(limit) || limit <= 0)
        throw new RangeError(`sweep limit must be a positive integer, got ${limit}`);
      const result = q()(now, limit);
      // A deleted message's `seq` may be handed out again.
      if (result.deletedMessages > 0) ctx.recentMessages.clear();
      return result;
    },
  };
}
