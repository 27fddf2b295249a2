import type { LimitStore, TokenRequest } from "../port/index.js";
import type { SqliteContext } from "./db.js";
import { TurnBatch } from "./turn-batch.js";

interface SignatureRecord {
  signature: string;
  expires_at: number;
  now: number;
}

/** The hello/HTTP replay guard (protocol.md §2.5) and token-bucket rate limits shared by all nodes. */
export function limitMethods(ctx: SqliteContext): LimitStore {
  const q = ctx.statements((db) => {
    const getBucket = db.prepare<[string], { tokens: number; updated_at: number }>(
      "SELECT tokens, updated_at FROM rate_buckets WHERE key = ?",
    );
    const putBucket = db.prepare<[string, number, number]>(
      `INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
    );
    return {
      // An expired record is overwritten in place; a live one makes the insert a no-op (changes = 0).
      recordAll: (() => {
        const record = db.prepare<{ signature: string; expires_at: number; now: number }>(
          `INSERT INTO replay_signatures (signature, expires_at) VALUES (@signature, @expires_at)
           ON CONFLICT (signature) DO UPDATE SET expires_at = excluded.expires_at
             WHERE replay_signatures.expires_at <= @now`,
        );
        // In order: the second use of a signature within one batch is a replay like any other.
        return ctx.atomic((rows: SignatureRecord[]): boolean[] =>
          rows.map((r) => record.run(r).changes === 1),
        );
      })(),
      take: ctx.atomic((requests: TokenRequest[], now: number): boolean[] =>
        requests.map(({ key, burst, refillPerSec }) => {
          const bucket = getBucket.get(key);
          // A clock that steps back (another node's) neither refills nor rewinds the bucket.
          const updatedAt = bucket ? Math.max(bucket.updated_at, now) : now;
          const elapsedSec = bucket ? Math.max(0, now - bucket.updated_at) / 1000 : 0;
          const tokens = bucket ? Math.min(burst, bucket.tokens + elapsedSec * refillPerSec) : burst;
          const allowed = tokens >= 1;
          putBucket.run(key, allowed ? tokens - 1 : tokens, updatedAt);
          return allowed;
        }),
      ),
    };
  });

  // Every hello records its signature: a burst of them shares one transaction.
  const signatures = new TurnBatch<SignatureRecord, boolean>((rows) => q().recordAll(rows));

  return {
    recordSignature(signature, expiresAt, now) {
      return signatures.add({ signature, expires_at: expiresAt, now });
    },
    async takeTokens(requests, now) {
      return requests.length === 0 ? [] : q().take(requests, now);
    },
  };
}
