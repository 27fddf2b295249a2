/** Retention (protocol.md §4.6, §4.5, §3.2). */
export interface SweepResult {
  expiredDeliveries: number;
  deletedBodies: number;
  deletedMessages: number;
  deletedIdempotency: number;
  deletedPresences: number;
  /** False when a step hit its limit: call again (after letting other work run) to go on. */
  done: boolean;
}

export interface SweepStore {
  /**
   * One bounded round of retention: expire deliveries undelivered after 7 days, drop the bodies of
   * messages whose deliveries are all finished, delete message metadata after 7 days, idempotency records
   * after 8, expired replay signatures, presences disconnected for 30 days and idle rate buckets. Each
   * step touches at most `limit` rows, so a round is short however much is due; `done` says whether
   * anything is left. Topic messages keep their body and metadata (topic history owns them).
   */
  sweep(now: number, limit: number): Promise<SweepResult>;
}
