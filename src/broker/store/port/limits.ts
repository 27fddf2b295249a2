/** The hello replay guard and the rate limits, shared by all nodes (protocol.md §2.5, §4.3). */

/** One take from the token bucket named `key`; the bucket holds at most `burst` and starts full. */
export interface TokenRequest {
  key: string;
  burst: number;
  refillPerSec: number;
}

export interface LimitStore {
  /** Records a verified signature until `expiresAt`; false when it is already recorded and unexpired. */
  recordSignature(signature: string, expiresAt: number, now: number): Promise<boolean>;
  /**
   * Takes one token per request, in input order and in one transaction: true where a token was taken,
   * false where the bucket was empty. Requests naming the same key draw on the same bucket.
   */
  takeTokens(requests: TokenRequest[], now: number): Promise<boolean[]>;
}
