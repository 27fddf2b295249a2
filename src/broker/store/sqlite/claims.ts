import type { Statement } from "better-sqlite3";
import type { Priority } from "../../../protocol/index.js";
import type { ClaimScope, ClaimStore, ClaimedDelivery, DueRecipient, MessageRow } from "../port/index.js";
import { reofferDelayMs } from "../retention.js";
import type { SqliteContext } from "./db.js";
import { messageColumns, toMessage, type MessageDbRow } from "./message-row.js";

interface ClaimableDbRow {
  delivery_id: number;
  message_seq: number;
  recipient_kind: "member" | "session";
  recipient_pubkey: string;
  attempts: number;
}

interface ScopeParams {
  mesh_id: string;
  presence_id: string;
  recipient: string;
  now: number;
  p0: Priority;
  p1: Priority;
  p2: Priority;
  multicast: number;
}

interface RecipientDbRow {
  mesh_id: string;
  recipient_kind: "member" | "session";
  recipient_member_id: string;
  recipient_pubkey: string;
}

/**
 * Eligibility shared by both claim queries (protocol.md §4.6): open, lease free or expired, not backing
 * off, priority let through, multicast only for visible presences, never the excluded (sending) presence.
 */
const ELIGIBLE = `
  d.state IN ('pending', 'claimed')
  AND (d.state = 'pending' OR d.claim_expires_at <= @now)
  AND d.next_offer_at <= @now
  AND d.priority IN (@p0, @p1, @p2)
  AND (@multicast = 1 OR d.is_multicast = 0)
  AND (d.excluded_presence IS NULL OR d.excluded_presence <> @presence_id)`;

/**
 * The limit is written into the SQL, not bound: this SQLite is built with STAT4, and a bound LIMIT marks
 * the statement for re-preparation on every execution (measured: ~40x slower claims).
 */
function claimQuery(recipientMatch: string, limit: number): string {
  return `SELECT d.id AS delivery_id, d.message_seq, d.recipient_kind, d.recipient_pubkey, d.attempts
    FROM deliveries d
    WHERE d.mesh_id = @mesh_id AND ${recipientMatch} AND ${ELIGIBLE}
    ORDER BY d.id LIMIT ${limit}`;
}

/** Merges two id-ordered lists into the first `limit` rows in id (accept) order. */
function mergeByDeliveryId(a: ClaimableDbRow[], b: ClaimableDbRow[], limit: number): ClaimableDbRow[] {
  const out: ClaimableDbRow[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit) {
    const x = a[i];
    const y = b[j];
    if (x && (!y || x.delivery_id < y.delivery_id)) {
      out.push(x);
      i++;
    } else if (y) {
      out.push(y);
      j++;
    } else {
      break;
    }
  }
  return out;
}

function recipients(rows: RecipientDbRow[]): DueRecipient[] {
  const seen = new Map<string, DueRecipient>();
  for (const r of rows) {
    const key = `${r.mesh_id}\n${r.recipient_kind}\n${r.recipient_member_id}\n${r.recipient_pubkey}`;
    if (!seen.has(key)) {
      seen.set(key, {
        meshId: r.mesh_id,
        recipientKind: r.recipient_kind,
        recipientMemberId: r.recipient_member_id,
        recipientPubkey: r.recipient_pubkey,
      });
    }
  }
  return [...seen.values()];
}

interface ClaimQueries {
  session: Statement<ScopeParams, ClaimableDbRow>;
  member: Statement<ScopeParams, ClaimableDbRow>;
}

/** Claims, their leases, and the re-offer backoff (protocol.md §4.6). */
export function claimMethods(ctx: SqliteContext): ClaimStore {
  const q = ctx.statements((db) => {
    // One statement pair per distinct limit (the broker uses a handful of batch sizes).
    const byLimit = new Map<number, ClaimQueries>();
    const queriesFor = (limit: number): ClaimQueries => {
      let queries = byLimit.get(limit);
      if (!queries) {
        queries = {
          session: db.prepare<ScopeParams, ClaimableDbRow>(
            claimQuery("d.recipient_pubkey = @recipient AND d.recipient_kind = 'session'", limit),
          ),
          member: db.prepare<ScopeParams, ClaimableDbRow>(
            claimQuery("d.recipient_member_id = @recipient AND d.recipient_kind = 'member'", limit),
          ),
        };
        byLimit.set(limit, queries);
      }
      return queries;
    };
    const messageBySeq = db.prepare<[number], MessageDbRow>(
      `SELECT ${messageColumns()} FROM messages WHERE seq = ?`,
    );
    // A message accepted lately comes from memory; others are read (a claimable row's message exists).
    const messageOf = (seq: number): MessageRow => {
      const recent = ctx.recentMessages.get(seq);
      if (recent) return recent;
      const row = messageBySeq.get(seq);
      if (!row) throw new Error(`message ${seq} of a claimable delivery is missing`);
      return toMessage(row);
    };
    // Once per claimed row: bound positionally (see MESSAGE_VALUES).
    const markClaimed = db.prepare<
      [presenceId: string, expiresAt: number, attempts: number, nextOfferAt: number, id: number]
    >(
      `UPDATE deliveries SET state = 'claimed', claim_presence_id = ?, claim_expires_at = ?, attempts = ?,
         next_offer_at = ?
       WHERE id = ?`,
    );

    const claimScope = (
      scope: ClaimScope,
      now: number,
      leaseMs: number,
      limit: number,
    ): ClaimedDelivery[] => {
      const [p0, p1, p2] = scope.priorities;
      if (p0 === undefined) return [];
      const base = {
        mesh_id: scope.meshId,
        presence_id: scope.presenceId,
        now,
        // Always three bound slots; unused ones repeat the first priority.
        p0,
        p1: p1 ?? p0,
        p2: p2 ?? p0,
        multicast: scope.multicast ? 1 : 0,
      };
      const queries = queriesFor(limit);
      const bySession = scope.sessionPubkey
        ? queries.session.all({ ...base, recipient: scope.sessionPubkey })
        : [];
      const byMember = scope.memberId ? queries.member.all({ ...base, recipient: scope.memberId }) : [];
      const expiresAt = now + leaseMs;
      return mergeByDeliveryId(bySession, byMember, limit).map((row) => {
        const attempts = row.attempts + 1;
        // The backoff is fixed at claim time, so no path can re-offer early, whoever asks.
        const nextOfferAt = expiresAt + reofferDelayMs(attempts);
        markClaimed.run(scope.presenceId, expiresAt, attempts, nextOfferAt, row.delivery_id);
        return {
          deliveryId: row.delivery_id,
          recipientKind: row.recipient_kind,
          recipientPubkey: row.recipient_pubkey,
          attempts,
          message: messageOf(row.message_seq),
        };
      });
    };

    // Back to "due at lease end" (claimed) or "due now" (pending); rows not backing off are untouched.
    const resetMember = db.prepare<{ mesh_id: string; member_id: string }>(
      `UPDATE deliveries SET next_offer_at = COALESCE(claim_expires_at, 0)
       WHERE mesh_id = @mesh_id AND recipient_member_id = @member_id AND recipient_kind = 'member'
         AND state IN ('pending', 'claimed') AND next_offer_at > COALESCE(claim_expires_at, 0)`,
    );
    const resetSession = db.prepare<{ mesh_id: string; pubkey: string }>(
      `UPDATE deliveries SET next_offer_at = COALESCE(claim_expires_at, 0)
       WHERE mesh_id = @mesh_id AND recipient_pubkey = @pubkey AND recipient_kind = 'session'
         AND state IN ('pending', 'claimed') AND next_offer_at > COALESCE(claim_expires_at, 0)`,
    );
    const recipientColumns = "mesh_id, recipient_kind, recipient_member_id, recipient_pubkey";
    return {
      claim: ctx.atomic((scopes: ClaimScope[], now: number, leaseMs: number, limit: number) =>
        // Scopes run one after another in one transaction, so a later scope never sees an earlier one's rows.
        scopes.map((scope) => claimScope(scope, now, leaseMs, limit)),
      ),
      release: db.prepare<[string], RecipientDbRow>(
        `UPDATE deliveries SET state = 'pending', claim_presence_id = NULL, claim_expires_at = NULL,
           next_offer_at = 0
         WHERE state = 'claimed' AND claim_presence_id = ?
         RETURNING ${recipientColumns}`,
      ),
      due: db.prepare<{ now: number }, RecipientDbRow>(
        `SELECT DISTINCT ${recipientColumns} FROM deliveries
         WHERE state = 'claimed' AND next_offer_at <= @now AND claim_expires_at <= @now`,
      ),
      reset: ctx.atomic((meshId: string, memberId: string, sessionPubkey: string | null) => {
        resetMember.run({ mesh_id: meshId, member_id: memberId });
        if (sessionPubkey) resetSession.run({ mesh_id: meshId, pubkey: sessionPubkey });
      }),
      deliverHeld: db.prepare<[number, string]>(
        `UPDATE deliveries SET state = 'delivered', delivered_at = ?
         WHERE state = 'claimed' AND claim_presence_id = ?`,
      ),
    };
  });

  return {
    async claimDeliveries(scopes, now, leaseMs, limit) {
      if (!Number.isSafeInteger(limit)) throw new RangeError(`claim limit must be an integer, got ${limit}`);
      if (scopes.length === 0) return [];
      if (limit <= 0) return scopes.map(() => []);
      return q().claim(scopes, now, leaseMs, limit);
    },
    async releaseClaims(presenceId) {
      return recipients(q().release.all(presenceId));
    },
    async dueRecipients(now) {
      return recipients(q().due.all({ now }));
    },
    async resetBackoff(meshId, memberId, sessionPubkey) {
      q().reset(meshId, memberId, sessionPubkey);
    },
    async markPresenceClaimsDelivered(presenceId, now) {
      return q().deliverHeld.run(now, presenceId).changes;
    },
  };
}
