/**
 * Retention and re-offer numbers every store adapter applies the same way (protocol.md §3.2, §4.5, §4.6,
 * §8). Adapters import these rather than repeating the literals.
 */
import { DELIVERY_TTL_MS, IDEMPOTENCY_TTL_MS } from "../../protocol/index.js";

/** An undelivered delivery older than this becomes `expired`; message metadata is deleted after it too. */
export const DELIVERY_RETENTION_MS = DELIVERY_TTL_MS;
/** Idempotency records live this long, even after their message is gone. */
export const IDEMPOTENCY_RETENTION_MS = IDEMPOTENCY_TTL_MS;
/** Disconnected presence rows are deleted after this. */
export const DISCONNECTED_PRESENCE_RETENTION_MS = 30 * 24 * 3_600_000;
/**
 * Token buckets untouched for this long are deleted (a deleted bucket starts full again). Safe for every
 * bucket whose refill takes less than a day, which is all of ours (§4.12, §8).
 */
export const IDLE_RATE_BUCKET_RETENTION_MS = 24 * 3_600_000;

/** Attempts re-offered right after their lease expires; from the next one on the wait backs off. */
export const BACKOFF_FREE_ATTEMPTS = 5;
export const BACKOFF_BASE_MS = 60_000;
export const BACKOFF_MAX_MS = 600_000;

/**
 * Extra wait, after the lease of claim number `attempts` expires, before the delivery is offered again:
 * 0 for the first 5 attempts, then 1 min doubling up to 10 min (the 6th attempt waits 1 min, §4.6).
 */
export function reofferDelayMs(attempts: number): number {
  if (attempts < BACKOFF_FREE_ATTEMPTS) return 0;
  return Math.min(BACKOFF_BASE_MS * 2 ** (attempts - BACKOFF_FREE_ATTEMPTS), BACKOFF_MAX_MS);
}
