import { timingSafeEqual } from "node:crypto";
import type {
  ClaimInviteResult,
  InviteRow,
  InviteStore,
  MemberRow,
  RevokeInviteResult,
} from "../port/index.js";
import { inviteState } from "../../../protocol/invites.js";
import { distinctDisplayName, nameStart } from "../display-name.js";
import { LEFT_REVOKE_REASON } from "../port/members.js";
import type { SqliteContext } from "./db.js";
import { memberParams, memberStatements, toMember } from "./members.js";

interface InviteDbRow {
  code: string;
  mesh_id: string;
  role: "member" | "admin";
  max_uses: number;
  uses: number;
  expires_at: number;
  inviter_pubkey: string;
  invite_signature: string;
  claim_hash: string;
  encrypted_root_key: string;
  nonce: string;
  revoked_at: number | null;
  created_at: number;
}

interface ClaimInput {
  code: string;
  claimHash: string;
  newMember: MemberRow;
  now: number;
}

interface RevokeInput {
  meshId: string;
  code: string;
  now: number;
}

const INVITE_COLUMNS =
  "code, mesh_id, role, max_uses, uses, expires_at, inviter_pubkey, invite_signature, claim_hash, " +
  "encrypted_root_key, nonce, revoked_at, created_at";

function toInvite(row: InviteDbRow): InviteRow {
  return {
    code: row.code,
    meshId: row.mesh_id,
    role: row.role,
    maxUses: row.max_uses,
    uses: row.uses,
    expiresAt: row.expires_at,
    inviterPubkey: row.inviter_pubkey,
    inviteSignature: row.invite_signature,
    claimHash: row.claim_hash,
    encryptedRootKey: row.encrypted_root_key,
    nonce: row.nonce,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
  };
}

function inviteParams(invite: InviteRow): InviteDbRow {
  return {
    code: invite.code,
    mesh_id: invite.meshId,
    role: invite.role,
    max_uses: invite.maxUses,
    uses: invite.uses,
    expires_at: invite.expiresAt,
    inviter_pubkey: invite.inviterPubkey,
    invite_signature: invite.inviteSignature,
    claim_hash: invite.claimHash,
    encrypted_root_key: invite.encryptedRootKey,
    nonce: invite.nonce,
    revoked_at: invite.revokedAt,
    created_at: invite.createdAt,
  };
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Invites and the atomic claim (protocol.md §7.3). */
export function inviteMethods(ctx: SqliteContext): InviteStore {
  const q = ctx.statements((db) => {
    const members = memberStatements(db);
    const get = db.prepare<[string], InviteDbRow>(`SELECT ${INVITE_COLUMNS} FROM invites WHERE code = ?`);
    // The conditional increment is what keeps concurrent claims within max_uses.
    const takeUse = db.prepare<[string]>(
      "UPDATE invites SET uses = uses + 1 WHERE code = ? AND uses < max_uses",
    );
    // Only names that could collide with the wanted one (both through the member-names indexes): those
    // starting the same, ASCII case aside, and any name with a character outside printable ASCII, whose
    // lower case JavaScript decides. Reading every name of the mesh made each claim cost O(members).
    const namesFrom = db.prepare<
      { mesh: string; id: string; lo: string; hi: string },
      { display_name: string }
    >(
      `SELECT display_name FROM members WHERE mesh_id = @mesh AND revoked_at IS NULL AND id != @id
         AND display_name >= @lo COLLATE NOCASE AND display_name < @hi COLLATE NOCASE`,
    );
    const nonAsciiNames = db.prepare<[string, string], { display_name: string }>(
      `SELECT display_name FROM members WHERE mesh_id = ? AND revoked_at IS NULL
         AND display_name GLOB '*[^ -~]*' AND id != ?`,
    );
    const possibleClashes = (meshId: string, id: string, wanted: string): string[] => {
      const lo = nameStart(wanted);
      const near = namesFrom.all({ mesh: meshId, id, lo, hi: `${lo}\u{10ffff}` });
      return [...near, ...nonAsciiNames.all(meshId, id)].map((r) => r.display_name);
    };
    const reinstate = db.prepare<{
      id: string;
      role: string;
      display_name: string;
      default_groups: string;
      joined_at: number;
    }>(
      `UPDATE members SET revoked_at = NULL, revoke_reason = NULL, role = @role, display_name = @display_name,
         default_groups = @default_groups, joined_at = @joined_at
       WHERE id = @id`,
    );

    const claim = ctx.atomic((input: ClaimInput): ClaimInviteResult => {
      const invite = get.get(input.code);
      if (!invite) return { status: "not_found" };
      if (!sameHash(invite.claim_hash, input.claimHash)) return { status: "bad_claim_token" };
      const existing = members.byPubkey.get(invite.mesh_id, input.newMember.pubkey);
      if (existing && existing.revoked_at === null) {
        return { status: "ok", member: toMember(existing), created: false, invite: toInvite(invite) };
      }
      if (existing && existing.revoke_reason !== LEFT_REVOKE_REASON) return { status: "banned" };
      const state = inviteState(toInvite(invite), input.now);
      if (state === "expired" || state === "revoked") return { status: state };
      if (takeUse.run(invite.code).changes === 0) return { status: "exhausted" };

      // Inside the transaction, so two concurrent claims of one name never both get it.
      const id = existing ? existing.id : input.newMember.id;
      const displayName = distinctDisplayName(
        input.newMember.displayName,
        possibleClashes(invite.mesh_id, id, input.newMember.displayName),
      );
      const joined = { ...input.newMember, meshId: invite.mesh_id, role: invite.role, displayName };
      if (existing) {
        reinstate.run({
          id: existing.id,
          role: invite.role,
          display_name: joined.displayName,
          default_groups: JSON.stringify(joined.defaultGroups),
          joined_at: joined.joinedAt,
        });
      } else {
        members.insert.run(memberParams({ ...joined, revokedAt: null, revokeReason: null }));
      }
      const member = members.byId.get(existing ? existing.id : joined.id);
      if (!member) throw new Error(`invite claim: member ${joined.id} vanished inside its own transaction`);
      return {
        status: "ok",
        member: toMember(member),
        created: true,
        invite: toInvite({ ...invite, uses: invite.uses + 1 }),
      };
    });

    const inMesh = db.prepare<{ code: string; mesh: string }, InviteDbRow>(
      `SELECT ${INVITE_COLUMNS} FROM invites WHERE code = @code AND mesh_id = @mesh`,
    );
    // Only a first revocation writes, so the time an invite stopped working never moves.
    const markRevoked = db.prepare<{ code: string; mesh: string; now: number }>(
      "UPDATE invites SET revoked_at = @now WHERE code = @code AND mesh_id = @mesh AND revoked_at IS NULL",
    );
    const revoke = ctx.atomic((input: RevokeInput): RevokeInviteResult => {
      const key = { code: input.code, mesh: input.meshId };
      const changed = markRevoked.run({ ...key, now: input.now }).changes === 1;
      const row = inMesh.get(key);
      if (!row) return { status: "not_found" };
      return { status: changed ? "revoked" : "already_revoked", invite: toInvite(row) };
    });

    return {
      get,
      claim,
      revoke,
      list: db.prepare<[string], InviteDbRow>(
        `SELECT ${INVITE_COLUMNS} FROM invites WHERE mesh_id = ? ORDER BY created_at DESC, code`,
      ),
      insert: db.prepare<InviteDbRow>(
        `INSERT INTO invites (${INVITE_COLUMNS})
         VALUES (@code, @mesh_id, @role, @max_uses, @uses, @expires_at, @inviter_pubkey, @invite_signature,
                 @claim_hash, @encrypted_root_key, @nonce, @revoked_at, @created_at)
         ON CONFLICT (code) DO NOTHING`,
      ),
    };
  });

  return {
    async insertInvite(invite) {
      return q().insert.run(inviteParams(invite)).changes === 1 ? "ok" : "conflict";
    },
    async getInvite(code) {
      const row = q().get.get(code);
      return row ? toInvite(row) : null;
    },
    async listInvites(meshId) {
      return q().list.all(meshId).map(toInvite);
    },
    async revokeInvite(input) {
      return q().revoke(input);
    },
    async claimInvite(input) {
      return q().claim(input);
    },
  };
}
