import type { ClaimScope, ClaimStore, ClaimedDelivery, DueRecipient } from "../port/index.js";
import { BACKOFF_MAX_MS, reofferDelayMs } from "../retention.js";
import type postgres from "postgres";
import type { Db, PgContext } from "./db.js";
import { messageColumns, toMessage, type MessageDbRow } from "./message-row.js";

interface ClaimedDbRow extends MessageDbRow {
  deliveryId: number;
  recipientKind: "member" | "session";
  recipientPubkey: string;
  attempts: number;
}

/**
 * `reofferDelayMs(<attempts>)` as SQL, generated from it: one arm per attempt count until the delay
 * reaches its cap, the cap after that. The claim sets `next_offer_at` in the statement that takes the row.
 */
function reofferDelaySql(attempts: string): string {
  const arms: string[] = [];
  for (let n = 1; reofferDelayMs(n) < BACKOFF_MAX_MS; n++) arms.push(`WHEN ${n} THEN ${reofferDelayMs(n)}`);
  return `CASE ${attempts} ${arms.join(" ")} ELSE ${BACKOFF_MAX_MS} END`;
}

const NEXT_OFFER_DELAY = reofferDelaySql("d.attempts + 1");

type Fragment = postgres.Fragment;

/**
 * Claims one scope's rows in one statement (protocol.md §4.6): eligible rows addressed to its session
 * key or to its member, in accept order, locked with `SKIP LOCKED` so a claimer on another connection
 * (or node) passes over rows being claimed instead of waiting for them or taking them twice.
 * Eligibility: open, lease free or expired, not backing off, priority let through, multicast only for
 * visible presences, never the excluded (sending) presence. Session and member rows are picked apart,
 * each on its own open-rows index (an `OR` of the two leaves the planner only the mesh prefix to search).
 */
async function claimScope(
  db: Db,
  scope: ClaimScope,
  now: number,
  expiresAt: number,
  limit: number,
): Promise<ClaimedDelivery[]> {
  if (scope.priorities.length === 0 || (!scope.sessionPubkey && !scope.memberId)) return [];
  const eligible = db`
    d.state IN ('pending', 'claimed')
    AND (d.state = 'pending' OR d.claim_expires_at <= ${now})
    AND d.next_offer_at <= ${now}
    AND d.priority = ANY(${[...scope.priorities]}::text[])
    AND (${scope.multicast} OR NOT d.is_multicast)
    AND (d.excluded_presence IS NULL OR d.excluded_presence <> ${scope.presenceId})`;
  const arm = (recipient: Fragment) => db`
    SELECT d.id FROM deliveries d
    WHERE d.mesh_id = ${scope.meshId} AND ${recipient} AND ${eligible}
    ORDER BY d.id LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`;
  const arms: Fragment[] = [];
  if (scope.sessionPubkey) {
    arms.push(arm(db`d.recipient_pubkey = ${scope.sessionPubkey} AND d.recipient_kind = 'session'`));
  }
  if (scope.memberId) {
    arms.push(arm(db`d.recipient_member_id = ${scope.memberId} AND d.recipient_kind = 'member'`));
  }
  // With both arms, rows an arm locked beyond the merged limit stay locked (unclaimed) until this
  // transaction ends: other claimers skip them for that long, and a full batch is offered again anyway.
  const picked =
    arms.length === 1
      ? arms[0]!
      : db`WITH s AS (${arms[0]!}), m AS (${arms[1]!})
           SELECT id FROM s UNION ALL SELECT id FROM m ORDER BY id LIMIT ${limit}`;
  const rows = await db<ClaimedDbRow[]>`
    WITH picked AS (${picked}), claimed AS (
      UPDATE deliveries d SET state = 'claimed', claim_presence_id = ${scope.presenceId},
        claim_expires_at = ${expiresAt}, attempts = d.attempts + 1,
        next_offer_at = ${expiresAt}::bigint + ${db.unsafe(NEXT_OFFER_DELAY)}
      FROM picked WHERE d.id = picked.id
      RETURNING d.id, d.message_seq, d.recipient_kind, d.recipient_pubkey, d.attempts
    )
    SELECT c.id AS delivery_id, c.recipient_kind, c.recipient_pubkey, c.attempts, ${db(messageColumns("m"))}
    FROM claimed c JOIN messages m ON m.seq = c.message_seq
    ORDER BY c.id`;
  return rows.map((row) => ({
    deliveryId: row.deliveryId,
    recipientKind: row.recipientKind,
    recipientPubkey: row.recipientPubkey,
    attempts: row.attempts,
    message: toMessage(row),
  }));
}

const RECIPIENT_COLUMNS = ["mesh_id", "recipient_kind", "recipient_member_id", "recipient_pubkey"];

/** Claims, their leases, and the re-offer backoff (protocol.md §4.6). */
export function claimMethods(ctx: PgContext): ClaimStore {
  return {
    async claimDeliveries(scopes, now, leaseMs, limit) {
      if (!Number.isSafeInteger(limit)) throw new RangeError(`claim limit must be an integer, got ${limit}`);
      if (scopes.length === 0) return [];
      if (limit <= 0) return scopes.map(() => []);
      return ctx.run(true, async (db) => {
        // One statement per scope, pipelined: they run one after another in one transaction, so a later
        // scope never sees an earlier one's rows.
        return Promise.all(scopes.map((scope) => claimScope(db, scope, now, now + leaseMs, limit)));
      });
    },
    async releaseClaims(presenceId) {
      return ctx.run(
        false,
        (db) => db<DueRecipient[]>`
          WITH released AS (
            UPDATE deliveries SET state = 'pending', claim_presence_id = NULL, claim_expires_at = NULL,
              next_offer_at = 0
            WHERE state = 'claimed' AND claim_presence_id = ${presenceId}
            RETURNING ${db(RECIPIENT_COLUMNS)}
          )
          SELECT DISTINCT ${db(RECIPIENT_COLUMNS)} FROM released`,
      );
    },
    async dueRecipients(now) {
      return ctx.run(
        false,
        (db) => db<DueRecipient[]>`
          SELECT DISTINCT ${db(RECIPIENT_COLUMNS)} FROM deliveries
          WHERE state = 'claimed' AND next_offer_at <= ${now} AND claim_expires_at <= ${now}`,
      );
    },
    async resetBackoff(meshId, memberId, sessionPubkey) {
      // Back to "due at lease end" (claimed) or "due now" (pending); rows not backing off are untouched.
      await ctx.run(true, async (db) => {
        await db`
          UPDATE deliveries SET next_offer_at = COALESCE(claim_expires_at, 0)
          WHERE mesh_id = ${meshId} AND recipient_member_id = ${memberId} AND recipient_kind = 'member'
            AND state IN ('pending', 'claimed') AND next_offer_at > COALESCE(claim_expires_at, 0)`;
        if (sessionPubkey) {
          await db`
            UPDATE deliveries SET next_offer_at = COALESCE(claim_expires_at, 0)
            WHERE mesh_id = ${meshId} AND recipient_pubkey = ${sessionPubkey} AND recipient_kind = 'session'
              AND state IN ('pending', 'claimed') AND next_offer_at > COALESCE(claim_expires_at, 0)`;
        }
      });
    },
    async markPresenceClaimsDelivered(presenceId, now) {
      const result = await ctx.run(
        false,
        (db) => db`
          UPDATE deliveries SET state = 'delivered', delivered_at = ${now}
          WHERE state = 'claimed' AND claim_presence_id = ${presenceId}`,
      );
      return result.count;
    },
  };
}
