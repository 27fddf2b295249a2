import type { ClaimScope, ClaimStore, ClaimedDelivery, DueRecipient } from "../port/index.js";
import { BACKOFF_MAX_MS, reofferDelayMs } from "../retention.js";
import { columnList, itemsTable, type Db, type ItemColumn, type PgContext } from "./db.js";
import { MESSAGE_SELECT, toMessage, type MessageDbRow } from "./message-row.js";

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

interface ScopeClaimRow extends ClaimedDbRow {
  /** 1-based position of the scope in its round. */
  scopeOrd: number;
}

/** A claim's scopes as the table `s` of {@link claimRound}. */
const SCOPE_COLUMNS: readonly ItemColumn<ClaimScope>[] = [
  ["mesh_id", "text", (c) => c.meshId],
  ["presence_id", "text", (c) => c.presenceId],
  ["session_pubkey", "text", (c) => c.sessionPubkey],
  ["member_id", "text", (c) => c.memberId],
  ["priorities", "text", (c) => c.priorities.join(",")],
  ["multicast", "boolean", (c) => c.multicast],
];

/**
 * Eligibility of a row `d` for the scope `s` (the scopes table of {@link claimRound}): open, lease free or
 * expired, not backing off, priority let through, multicast only for visible presences, never the
 * excluded (sending) presence.
 */
function eligible(db: Db, now: number) {
  return db`
    d.state IN ('pending', 'claimed')
    AND (d.state = 'pending' OR d.claim_expires_at <= ${now})
    AND d.next_offer_at <= ${now}
    AND d.priority = ANY(string_to_array(s.priorities, ','))
    AND (s.multicast OR NOT d.is_multicast)
    AND (d.excluded_presence IS NULL OR d.excluded_presence <> s.presence_id)`;
}

/**
 * Claims the rows of several scopes in one statement (protocol.md §4.6): for each scope, eligible rows
 * addressed to its session key or to its member, in accept order, locked with `SKIP LOCKED` so a claimer
 * on another connection (or node) passes over rows being claimed instead of waiting for them or taking
 * them twice. Session and member rows are picked apart, each on its own open-rows index (an `OR` of the
 * two leaves the planner only the mesh prefix to search). The scopes of one round share no recipient
 * (see {@link rounds}), so no row can be picked for two of them.
 */
async function claimRound(
  db: Db,
  scopes: ClaimScope[],
  now: number,
  expiresAt: number,
  limit: number,
): Promise<ClaimedDelivery[][]> {
  const when = eligible(db, now);
  // One scope's rows of one kind (`recipient`), for the scopes that have `key`.
  const arm = (recipient: string, key: string) => db`
    SELECT s.ord, s.presence_id, p.id FROM s CROSS JOIN LATERAL (
      SELECT d.id FROM deliveries d
      WHERE d.mesh_id = s.mesh_id AND ${db.unsafe(recipient)} AND ${when}
      ORDER BY d.id LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ) p WHERE ${db.unsafe(key)} IS NOT NULL`;
  const bySession = arm(
    "d.recipient_pubkey = s.session_pubkey AND d.recipient_kind = 'session'",
    "s.session_pubkey",
  );
  const byMember = arm("d.recipient_member_id = s.member_id AND d.recipient_kind = 'member'", "s.member_id");
  // With both arms, rows an arm locked beyond the merged limit stay locked (unclaimed) until this
  // statement's transaction ends: other claimers skip them for that long, and a full batch is offered
  // again anyway. The picked rows are updated, and each one's message looked up, by key whatever the
  // statistics say (`= ANY` of the picked ids, and a LIMIT that keeps the planner from making the lookup a
  // join): a plan made once, while the tables were nearly empty, would otherwise scan the whole table on
  // every call (a hash join over `deliveries` took ~20 ms per claim at 100,000 rows).
  const rows = await db<ScopeClaimRow[]>`
    WITH s AS (SELECT * FROM ${itemsTable(db, "s", scopes, SCOPE_COLUMNS)}
    ), by_session AS (${bySession}
    ), by_member AS (${byMember}
    ), picked AS (
      SELECT ord, presence_id, id FROM (
        SELECT *, row_number() OVER (PARTITION BY ord ORDER BY id) AS n
        FROM (SELECT * FROM by_session UNION ALL SELECT * FROM by_member) both_arms
      ) numbered WHERE n <= ${limit}
    ), claimed AS (
      UPDATE deliveries d SET state = 'claimed', claim_presence_id = picked.presence_id,
        claim_expires_at = ${expiresAt}, attempts = d.attempts + 1,
        next_offer_at = ${expiresAt}::bigint + ${db.unsafe(NEXT_OFFER_DELAY)}
      FROM picked WHERE d.id = picked.id AND d.id = ANY(ARRAY(SELECT id FROM picked))
      RETURNING picked.ord, d.id, d.message_seq, d.recipient_kind, d.recipient_pubkey, d.attempts
    )
    SELECT c.ord AS scope_ord, c.id AS delivery_id, c.recipient_kind, c.recipient_pubkey, c.attempts,
           ${db.unsafe(MESSAGE_SELECT)}
    FROM claimed c CROSS JOIN LATERAL (SELECT * FROM messages m WHERE m.seq = c.message_seq LIMIT 1) m
    ORDER BY c.ord, c.id`;
  const lists: ClaimedDelivery[][] = scopes.map(() => []);
  for (const row of rows) {
    lists[row.scopeOrd - 1]!.push({
      deliveryId: row.deliveryId,
      recipientKind: row.recipientKind,
      recipientPubkey: row.recipientPubkey,
      attempts: row.attempts,
      message: toMessage(row),
    });
  }
  return lists;
}

/**
 * The scopes as rounds in which no two could claim the same row (the same session key, or member-level
 * rows of the same member): one statement per round. A later round runs after the earlier ones in the
 * same transaction, so it never sees their rows, as if each scope claimed on its own.
 */
function rounds(scopes: ClaimScope[]): number[][] {
  const result: { indexes: number[]; recipients: Set<string> }[] = [];
  scopes.forEach((scope, index) => {
    const recipients = [
      ...(scope.sessionPubkey ? [`s|${scope.meshId}|${scope.sessionPubkey}`] : []),
      ...(scope.memberId ? [`m|${scope.meshId}|${scope.memberId}`] : []),
    ];
    let round = result.find((r) => recipients.every((key) => !r.recipients.has(key)));
    if (!round) result.push((round = { indexes: [], recipients: new Set() }));
    round.indexes.push(index);
    for (const key of recipients) round.recipients.add(key);
  });
  return result.map((r) => r.indexes);
}

const RECIPIENT_LIST = columnList(["mesh_id", "recipient_kind", "recipient_member_id", "recipient_pubkey"]);

/** Claims, their leases, and the re-offer backoff (protocol.md §4.6). */
export function claimMethods(ctx: PgContext): ClaimStore {
  return {
    async claimDeliveries(scopes, now, leaseMs, limit) {
      if (!Number.isSafeInteger(limit)) throw new RangeError(`claim limit must be an integer, got ${limit}`);
      if (scopes.length === 0) return [];
      if (limit <= 0) return scopes.map(() => []);
      const claimable = scopes
        .map((scope, index) => ({ scope, index }))
        .filter(({ scope }) => scope.priorities.length > 0 && (scope.sessionPubkey || scope.memberId));
      const lists: ClaimedDelivery[][] = scopes.map(() => []);
      if (claimable.length === 0) return lists;
      const byRound = rounds(claimable.map((c) => c.scope));
      // Rounds are pipelined on one connection, in one transaction when there are several.
      const answers = await ctx.run(byRound.length > 1, (db) =>
        Promise.all(
          byRound.map((round) =>
            claimRound(
              db,
              round.map((i) => claimable[i]!.scope),
              now,
              now + leaseMs,
              limit,
            ),
          ),
        ),
      );
      byRound.forEach((round, r) => {
        round.forEach((i, k) => {
          lists[claimable[i]!.index] = answers[r]![k]!;
        });
      });
      return lists;
    },
    async releaseClaims(presenceId) {
      return ctx.run(
        false,
        (db) => db<DueRecipient[]>`
          WITH released AS (
            UPDATE deliveries SET state = 'pending', claim_presence_id = NULL, claim_expires_at = NULL,
              next_offer_at = 0
            WHERE state = 'claimed' AND claim_presence_id = ${presenceId}
            RETURNING ${db.unsafe(RECIPIENT_LIST)}
          )
          SELECT DISTINCT ${db.unsafe(RECIPIENT_LIST)} FROM released`,
      );
    },
    async dueRecipients(now) {
      return ctx.run(
        false,
        (db) => db<DueRecipient[]>`
          SELECT DISTINCT ${db.unsafe(RECIPIENT_LIST)} FROM deliveries
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
