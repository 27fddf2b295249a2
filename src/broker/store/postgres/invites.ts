import { timingSafeEqual } from "node:crypto";
import { inviteState } from "../../../protocol/invites.js";
import { distinctDisplayName, nameStart } from "../display-name.js";
import { LEFT_REVOKE_REASON } from "../port/members.js";
import type {
  ClaimInviteResult,
  InviteRow,
  InviteStore,
  MemberRow,
  RevokeInviteResult,
} from "../port/index.js";
import { columnList, type Db, type PgContext } from "./db.js";
import { insertMember, jsonb, memberById, memberByPubkey } from "./members.js";

const INVITE_COLUMNS = [
  "code",
  "mesh_id",
  "role",
  "max_uses",
  "uses",
  "expires_at",
  "inviter_pubkey",
  "invite_signature",
  "claim_hash",
  "encrypted_root_key",
  "nonce",
  "revoked_at",
  "created_at",
];
const INVITE_LIST = columnList(INVITE_COLUMNS);

interface ClaimInput {
  code: string;
  claimHash: string;
  newMember: MemberRow;
  now: number;
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function inviteByCode(db: Db, code: string): Promise<InviteRow | null> {
  // Camelcased columns are exactly the InviteRow fields.
  const [row] = await db<InviteRow[]>`SELECT ${db.unsafe(INVITE_LIST)} FROM invites WHERE code = ${code}`;
  return row ?? null;
}

/**
 * The claim, in its transaction. It first locks the invite's mesh row, so claims into one mesh run one
 * after another across every node, as SQLite's single writer makes them: the existing-member check, the
 * use count and the free display name are then read after the previous claim committed. (`NO KEY
 * UPDATE` does not block the inserts that reference the mesh.)
 */
async function claim(db: Db, input: ClaimInput): Promise<ClaimInviteResult> {
  const locked = await db`
    SELECT id FROM meshes WHERE id = (SELECT mesh_id FROM invites WHERE code = ${input.code})
    FOR NO KEY UPDATE`;
  const invite = locked.length === 0 ? null : await inviteByCode(db, input.code);
  if (!invite) return { status: "not_found" };
  if (!sameHash(invite.claimHash, input.claimHash)) return { status: "bad_claim_token" };
  const existing = await memberByPubkey(db, invite.meshId, input.newMember.pubkey);
  if (existing && existing.revokedAt === null) {
    return { status: "ok", member: existing, created: false, invite };
  }
  if (existing && existing.revokeReason !== LEFT_REVOKE_REASON) return { status: "banned" };
  const state = inviteState(invite, input.now);
  if (state === "expired" || state === "revoked") return { status: state };
  // The conditional increment keeps uses within max_uses whatever else happens.
  const took = await db`UPDATE invites SET uses = uses + 1 WHERE code = ${invite.code} AND uses < max_uses`;
  if (took.count === 0) return { status: "exhausted" };

  const id = existing ? existing.id : input.newMember.id;
  // Only names that could collide (through the member-name indexes): those from the same start, ASCII
  // case aside (lower() folds only ASCII in the "C" collation), and those with non-ASCII characters.
  const lo = nameStart(input.newMember.displayName);
  const taken = await db<{ displayName: string }[]>`
    SELECT display_name FROM members WHERE mesh_id = ${invite.meshId} AND revoked_at IS NULL AND id <> ${id}
      AND ((lower(display_name) >= ${lo} AND lower(display_name) < ${`${lo}\u{10ffff}`})
        OR display_name ~ '[^ -~]')`;
  const displayName = distinctDisplayName(
    input.newMember.displayName,
    taken.map((r) => r.displayName),
  );
  const joined = { ...input.newMember, meshId: invite.meshId, role: invite.role, displayName };
  if (existing) {
    await db`
      UPDATE members SET revoked_at = NULL, revoke_reason = NULL, role = ${invite.role},
        display_name = ${displayName}, default_groups = ${jsonb(db, joined.defaultGroups)},
        joined_at = ${joined.joinedAt}
      WHERE id = ${existing.id}`;
  } else {
    await insertMember(db, { ...joined, revokedAt: null, revokeReason: null });
  }
  const member = await memberById(db, id);
  if (!member) throw new Error(`invite claim: member ${id} vanished inside its own transaction`);
  return { status: "ok", member, created: true, invite: { ...invite, uses: invite.uses + 1 } };
}

/** Only a first revocation writes, so the time an invite stopped working never moves. */
async function revoke(
  db: Db,
  input: { meshId: string; code: string; now: number },
): Promise<RevokeInviteResult> {
  const [revoked] = await db<InviteRow[]>`
    UPDATE invites SET revoked_at = ${input.now}
    WHERE code = ${input.code} AND mesh_id = ${input.meshId} AND revoked_at IS NULL
    RETURNING ${db.unsafe(INVITE_LIST)}`;
  if (revoked) return { status: "revoked", invite: revoked };
  const [earlier] = await db<InviteRow[]>`
    SELECT ${db.unsafe(INVITE_LIST)} FROM invites WHERE code = ${input.code} AND mesh_id = ${input.meshId}`;
  return earlier ? { status: "already_revoked", invite: earlier } : { status: "not_found" };
}

/** Invites and the atomic claim (protocol.md §7.3). */
export function inviteMethods(ctx: PgContext): InviteStore {
  return {
    async insertInvite(invite) {
      const result = await ctx.run(
        false,
        (db) => db`
          INSERT INTO invites (${db.unsafe(INVITE_LIST)})
          VALUES (${invite.code}, ${invite.meshId}, ${invite.role}, ${invite.maxUses}, ${invite.uses},
                  ${invite.expiresAt}, ${invite.inviterPubkey}, ${invite.inviteSignature}, ${invite.claimHash},
                  ${invite.encryptedRootKey}, ${invite.nonce}, ${invite.revokedAt}, ${invite.createdAt})
          ON CONFLICT (code) DO NOTHING`,
      );
      return result.count === 1 ? "ok" : "conflict";
    },
    async getInvite(code) {
      return ctx.run(false, (db) => inviteByCode(db, code));
    },
    async listInvites(meshId) {
      return ctx.run(
        false,
        (db) => db<InviteRow[]>`
          SELECT ${db.unsafe(INVITE_LIST)} FROM invites WHERE mesh_id = ${meshId}
          ORDER BY created_at DESC, code`,
      );
    },
    async revokeInvite(input) {
      return ctx.run(false, (db) => revoke(db, input));
    },
    async claimInvite(input) {
      return ctx.run(true, (db) => claim(db, input));
    },
  };
}
