import type { SweepResult, SweepStore } from "../port/index.js";
import {
  DELIVERY_RETENTION_MS,
  DISCONNECTED_PRESENCE_RETENTION_MS,
  IDEMPOTENCY_RETENTION_MS,
  IDLE_RATE_BUCKET_RETENTION_MS,
} from "../retention.js";
import type { SqliteContext } from "./db.js";

/** Retention (protocol.md §3.2, §4.5, §4.6, §2.5). Topic messages are left to topic history. */
export function sweepMethods(ctx: SqliteContext): SweepStore {
  const q = ctx.statements((db) => {
    const expireDeliveries = db.prepare<[number]>(
      `UPDATE deliveries SET state = 'expired'
       WHERE message_seq IN (SELECT seq FROM messages WHERE created_at <= ?)
         AND state IN ('pending', 'claimed')`,
    );
    const dropBodies = db.prepare<[]>(
      `UPDATE messages SET nonce = NULL, ciphertext = NULL
       WHERE ciphertext IS NOT NULL AND topic_id IS NULL
         AND NOT EXISTS (SELECT 1 FROM deliveries d
                         WHERE d.message_seq = messages.seq AND d.state IN ('pending', 'claimed'))`,
    );
    // Deliveries go with their message (ON DELETE CASCADE).
    const deleteMessages = db.prepare<[number]>(
      "DELETE FROM messages WHERE created_at <= ? AND topic_id IS NULL",
    );
    const deleteIdempotency = db.prepare<[number]>("DELETE FROM idempotency WHERE created_at <= ?");
    const deleteSignatures = db.prepare<[number]>("DELETE FROM replay_signatures WHERE expires_at <= ?");
    const deletePresences = db.prepare<[number]>(
      "DELETE FROM presences WHERE disconnected_at IS NOT NULL AND disconnected_at <= ?",
    );
    const deleteBuckets = db.prepare<[number]>("DELETE FROM rate_buckets WHERE updated_at <= ?");

    return db.transaction((now: number): SweepResult => {
      const deliveryCutoff = now - DELIVERY_RETENTION_MS;
      const result: SweepResult = {
        expiredDeliveries: expireDeliveries.run(deliveryCutoff).changes,
        deletedBodies: dropBodies.run().changes,
        deletedMessages: deleteMessages.run(deliveryCutoff).changes,
        deletedIdempotency: deleteIdempotency.run(now - IDEMPOTENCY_RETENTION_MS).changes,
        deletedPresences: deletePresences.run(now - DISCONNECTED_PRESENCE_RETENTION_MS).changes,
      };
      deleteSignatures.run(now);
      deleteBuckets.run(now - IDLE_RATE_BUCKET_RETENTION_MS);
      return result;
    });
  });

  return {
    async sweep(now) {
      return q().immediate(now);
    },
  };
}
