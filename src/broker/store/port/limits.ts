/** The hello replay guard and the rate limits, shared by all nodes (protocol.md §2.5, §4.3). */
export interface LimitStore {
  /** Records a verified signature until `expiresAt`; false when it is already recorded and unexpired. */
  recordSignature(signature: string, expiresAt: number, now: number): Promise<boolean>;
  /** Token bucket: takes one token from `key`; false when empty. Buckets start full. */
  takeToken(key: string, burst: number, refillPerSec: number, now: number): Promise<boolean>;
}
