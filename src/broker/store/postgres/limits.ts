import type { LimitStore, TokenRequest } from "../port/index.js";
import type { Db, PgContext } from "./db.js";

/**
 * One request's two statements: refill the bucket (a missing one starts full; a clock that steps back
 * neither refills nor rewinds it), then take a token if one is there. The arithmetic is SQLite's (IEEE
 * doubles, same order). Returned unawaited, so a batch's statements go out together, in order.
 */
function takeOne(db: Db, { key, burst, refillPerSec }: TokenRequest, now: number) {
  return [
    db`
      INSERT INTO rate_buckets AS b (key, tokens, updated_at)
      VALUES (${key}, ${burst}::float8, ${now}::bigint)
      ON CONFLICT (key) DO UPDATE SET
        tokens = LEAST(EXCLUDED.tokens,
                       b.tokens + GREATEST(0, EXCLUDED.updated_at - b.updated_at)::float8 / 1000 * ${refillPerSec}::float8),
        updated_at = GREATEST(b.updated_at, EXCLUDED.updated_at)`,
    db`UPDATE rate_buckets SET tokens = tokens - 1 WHERE key = ${key} AND tokens >= 1`,
  ] as const;
}

/** The hello/HTTP replay guard (protocol.md §2.5) and token-bucket rate limits shared by all nodes. */
export function limitMethods(ctx: PgContext): LimitStore {
  return {
    async recordSignature(signature, expiresAt, now) {
      // An expired record is overwritten in place; a live one makes the insert a no-op (count 0).
      const result = await ctx.run(
        false,
        (db) => db`
          INSERT INTO replay_signatures (signature, expires_at) VALUES (${signature}, ${expiresAt})
          ON CONFLICT (signature) DO UPDATE SET expires_at = EXCLUDED.expires_at
            WHERE replay_signatures.expires_at <= ${now}`,
      );
      return result.count === 1;
    },
    async takeTokens(requests, now) {
      if (requests.length === 0) return [];
      return ctx.run(true, async (db) => {
        // The batch's buckets are created (if new) and locked in key order first, so two batches naming
        // the same keys in another order wait for each other instead of deadlocking.
        const keys = [...new Set(requests.map((r) => r.key))].sort();
        const bursts = keys.map((key) => requests.find((r) => r.key === key)?.burst ?? 0);
        await db`
          INSERT INTO rate_buckets (key, tokens, updated_at)
          SELECT key, burst, ${now}::bigint FROM unnest(${keys}::text[], ${bursts}::float8[]) AS r(key, burst)
          ORDER BY key
          ON CONFLICT (key) DO NOTHING`;
        await db`SELECT key FROM rate_buckets WHERE key = ANY(${keys}::text[]) ORDER BY key FOR UPDATE`;
        const results = await Promise.all(requests.flatMap((request) => takeOne(db, request, now)));
        // Every request's second statement is its take.
        return requests.map((_, i) => results[2 * i + 1]?.count === 1);
      });
    },
  };
}
