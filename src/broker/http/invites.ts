/**
 * Invites (protocol.md §7.2-§7.4): register, list and revoke (signed, owner or admin), preview, claim.
 * Nothing secret reaches here, and the listing gives back nothing that opens an invite.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  DisplayName,
  GENERAL_TOPIC,
  INVITE_CODE_ALPHABET,
  REPLAY_WINDOW_MS,
  TIMESTAMP_SKEW_MS,
  hex64,
  inviteCanonical,
  inviteClaimCanonical,
  inviteState,
  type InviteList,
  type InviteRevocation,
  type InviteSummary,
} from "../../protocol/index.js";
import { fromHex, sha256Hex, verify } from "../../crypto/index.js";
import { auditEntry, inviteTarget, withAudit } from "../audit.js";
import type { BrokerContext } from "../context.js";
import type { InviteRow } from "../store/port/index.js";
import { fail, json, parseJsonObject } from "./respond.js";
import { verifySignedRequest, type SignedCaller } from "./signed.js";
import { announceKeyNeeded, joinGeneral } from "../topics.js";

const CODE = new RegExp(`^[${INVITE_CODE_ALPHABET}]{8}$`);

const RegisterInvite = z.object({
  code: z.string().regex(CODE, "code must be 8 characters of the invite alphabet"),
  role: z.enum(["member", "admin"]),
  max_uses: z.number().int().min(1).max(10_000),
  expires_at: z.number().int(),
  inviter_pubkey: hex64,
  invite_signature: z.string().regex(/^[0-9a-f]{128}$/),
  claim_hash: z.string().regex(/^[0-9a-f]{64}$/),
  encrypted_root_key: z.string().min(1).max(256),
  nonce: z.string().min(1).max(64),
});

const ClaimInvite = z.object({
  claim_token: z.string().regex(/^[0-9a-f]{64}$/, "claim_token must be 64 lower-case hex"),
  peer_pubkey: hex64,
  display_name: DisplayName.min(1).refine((s) => !s.includes("|"), "must not contain '|'"),
  timestamp: z.number().int(),
  signature: z.string().regex(/^[0-9a-f]{128}$/),
});

function inviteCanon(i: InviteRow): string {
  return inviteCanonical({
    meshId: i.meshId,
    code: i.code,
    role: i.role,
    maxUses: i.maxUses,
    expiresAt: i.expiresAt,
    inviterPubkey: i.inviterPubkey,
    claimHash: i.claimHash,
  });
}

function inviteSummary(i: InviteRow, inviterName: string, now: number): InviteSummary {
  return {
    code: i.code,
    role: i.role,
    max_uses: i.maxUses,
    uses: i.uses,
    expires_at: i.expiresAt,
    created_at: i.createdAt,
    revoked_at: i.revokedAt,
    inviter_name: inviterName,
    inviter_pubkey: i.inviterPubkey,
    state: inviteState(i, now),
  };
}

/**
 * The signing member when it is an owner or admin of its mesh; otherwise the refusal is sent and the
 * answer is null. `what` completes "only the mesh owner or an admin may …".
 */
async function inviteManager(
  ctx: BrokerContext,
  req: IncomingMessage,
  res: ServerResponse,
  raw: Buffer,
  what: string,
): Promise<Extract<SignedCaller, { ok: true }> | null> {
  const caller = await verifySignedRequest(ctx, req, raw);
  if (!caller.ok) {
    fail(res, 401, caller.error);
    return null;
  }
  if (caller.member.role !== "owner" && caller.member.role !== "admin") {
    fail(res, 403, "forbidden", `only the mesh owner or an admin may ${what}`);
    return null;
  }
  return caller;
}

export async function registerInviteRoute(
  ctx: BrokerContext,
  req: IncomingMessage,
  res: ServerResponse,
  raw: Buffer,
  body: Record<string, unknown> | null,
): Promise<void> {
  const caller = await verifySignedRequest(ctx, req, raw);
  if (!caller.ok) return fail(res, 401, caller.error);
  const parsed = RegisterInvite.safeParse(body);
  if (!parsed.success) return fail(res, 400, "invalid_argument", parsed.error.issues[0]?.message);
  const f = parsed.data;
  if (f.inviter_pubkey !== caller.pubkey)
    return fail(res, 403, "forbidden", "inviter_pubkey must be the signing key");
  if (caller.member.role !== "owner" && caller.member.role !== "admin") {
    return fail(res, 403, "forbidden", "only the mesh owner or an admin may invite");
  }
  const invite: InviteRow = {
    code: f.code,
    meshId: caller.meshId,
    role: f.role,
    maxUses: f.max_uses,
    uses: 0,
    expiresAt: f.expires_at,
    inviterPubkey: f.inviter_pubkey,
    inviteSignature: f.invite_signature,
    claimHash: f.claim_hash,
    encryptedRootKey: f.encrypted_root_key,
    nonce: f.nonce,
    revokedAt: null,
    createdAt: Date.now(),
  };
  if (!verify(inviteCanon(invite), f.invite_signature, f.inviter_pubkey)) {
    return fail(res, 401, "bad_signature", "invite_signature does not verify");
  }
  const inserted = await withAudit(
    ctx,
    () => ctx.store.insertInvite(invite),
    (outcome) =>
      outcome === "ok"
        ? [
            auditEntry(
              invite.meshId,
              { actorPubkey: caller.pubkey, actorName: caller.member.displayName },
              "invite.created",
              inviteTarget(invite.code),
            ),
          ]
        : [],
  );
  if (inserted === "conflict") return fail(res, 409, "conflict", "invite code already in use");
  json(res, 200, { ok: true });
}

/** `GET /invites`: every invite of the signing owner's or admin's mesh, newest first, with its state. */
export async function listInvitesRoute(
  ctx: BrokerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const caller = await inviteManager(ctx, req, res, Buffer.alloc(0), "list invites");
  if (!caller) return;
  const [invites, members] = await Promise.all([
    ctx.store.listInvites(caller.meshId),
    // An inviter who has left since keeps its name here.
    ctx.store.listMembers(caller.meshId, { includeRevoked: true }),
  ]);
  const names = new Map(members.map((m) => [m.pubkey, m.displayName]));
  const now = Date.now();
  const body: InviteList = {
    invites: invites.map((i) => inviteSummary(i, names.get(i.inviterPubkey) ?? "", now)),
  };
  json(res, 200, body);
}

/**
 * `POST /invites/:code/revoke`: the invite stops working at once, whatever its state; revoking it again
 * changes nothing and writes no second audit entry. Another mesh's code is `not_found`, like an unknown one.
 */
export async function revokeInviteRoute(
  ctx: BrokerContext,
  req: IncomingMessage,
  res: ServerResponse,
  code: string,
  raw: Buffer,
): Promise<void> {
  const caller = await inviteManager(ctx, req, res, raw, "revoke invites");
  if (!caller) return;
  if (raw.length > 0 && parseJsonObject(raw) === null)
    return fail(res, 400, "invalid_argument", "body must be empty or a JSON object");
  const now = Date.now();
  const result = await withAudit(
    ctx,
    () => ctx.store.revokeInvite({ meshId: caller.meshId, code, now }),
    (r) =>
      r.status === "revoked"
        ? [
            auditEntry(
              caller.meshId,
              { actorPubkey: caller.member.pubkey, actorName: caller.member.displayName },
              "invite.revoked",
              inviteTarget(code),
              now,
            ),
          ]
        : [],
  );
  if (result.status === "not_found") return fail(res, 404, "not_found", `this mesh has no invite ${code}`);
  const inviter = await ctx.store.findMemberByPubkey(caller.meshId, result.invite.inviterPubkey);
  const body: InviteRevocation = {
    ok: true,
    already_revoked: result.status === "already_revoked",
    invite: inviteSummary(result.invite, inviter?.displayName ?? "", now),
  };
  json(res, 200, body);
}

export async function previewInviteRoute(
  ctx: BrokerContext,
  res: ServerResponse,
  code: string,
): Promise<void> {
  const invite = await ctx.store.getInvite(code);
  if (!invite) return fail(res, 404, "not_found");
  const state = inviteState(invite, Date.now());
  if (state !== "active") return fail(res, 410, state);
  const mesh = await ctx.store.getMesh(invite.meshId);
  const inviter = await ctx.store.findMemberByPubkey(invite.meshId, invite.inviterPubkey);
  json(res, 200, {
    mesh_id: invite.meshId,
    mesh_name: mesh?.name ?? "",
    role: invite.role,
    inviter_name: inviter?.displayName ?? "",
    expires_at: invite.expiresAt,
    uses_left: invite.maxUses - invite.uses,
  });
}

export async function claimInviteRoute(
  ctx: BrokerContext,
  res: ServerResponse,
  code: string,
  body: Record<string, unknown> | null,
): Promise<void> {
  if (body && "recipient_x25519_pubkey" in body) return fail(res, 501, "invite_v2_disabled");
  const parsed = ClaimInvite.safeParse(body);
  if (!parsed.success) return fail(res, 400, "invalid_argument", parsed.error.issues[0]?.message);
  const f = parsed.data;
  const now = Date.now();
  if (Math.abs(now - f.timestamp) > TIMESTAMP_SKEW_MS) return fail(res, 401, "timestamp_skew");
  if (
    !verify(
      inviteClaimCanonical({ code, peerPubkey: f.peer_pubkey, timestamp: f.timestamp }),
      f.signature,
      f.peer_pubkey,
    )
  ) {
    return fail(res, 401, "bad_signature");
  }
  if (!(await ctx.store.recordSignature(f.signature, now + REPLAY_WINDOW_MS, now)))
    return fail(res, 401, "replayed");
  const pending = await ctx.store.getInvite(code);
  if (!pending) return fail(res, 404, "not_found");
  // A new member joins the mesh's `general` topic in the same transaction (§7.3).
  const claim = async () => {
    const r = await claimMember();
    if (r.status === "ok" && r.created) await joinGeneral(ctx, r.member.meshId, r.member.id, "member", now);
    return r;
  };
  const claimMember = () =>
    ctx.store.claimInvite({
      code,
      claimHash: sha256Hex(fromHex(f.claim_token)),
      now,
      newMember: {
        id: randomUUID(),
        meshId: pending.meshId,
        pubkey: f.peer_pubkey,
        displayName: f.display_name,
        role: pending.role,
        defaultGroups: [],
        joinedAt: now,
        revokedAt: null,
        revokeReason: null,
        saved: null,
      },
    });
  const result = await withAudit(ctx, claim, (r) =>
    r.status === "ok" && r.created
      ? [
          auditEntry(
            r.member.meshId,
            { actorPubkey: r.member.pubkey, actorName: r.member.displayName },
            "member.joined",
            inviteTarget(code),
          ),
        ]
      : [],
  );
  switch (result.status) {
    case "not_found":
      return fail(res, 404, "not_found");
    case "bad_claim_token":
      return fail(res, 403, "bad_claim_token");
    case "banned":
      return fail(
        res,
        403,
        "banned",
        "this key was banned from the mesh; only the mesh owner or an admin can let it back in (unban)",
      );
    case "expired":
    case "revoked":
    case "exhausted":
      return fail(res, 410, result.status);
    case "ok": {
      ctx.members.invalidate(result.invite.meshId);
      const mesh = await ctx.store.getMesh(result.invite.meshId);
      const owner = mesh ? await ctx.store.getMember(mesh.ownerMemberId) : null;
      json(res, 200, {
        mesh_id: result.invite.meshId,
        member_id: result.member.id,
        role: result.member.role,
        // The name the member got: the one asked for, or it with a suffix when another member has it.
        display_name: result.member.displayName,
        mesh_name: mesh?.name ?? "",
        slug: mesh?.slug ?? "",
        owner_pubkey: owner?.pubkey ?? "",
        inviter_pubkey: result.invite.inviterPubkey,
        canonical: inviteCanon(result.invite),
        invite_signature: result.invite.inviteSignature,
        encrypted_root_key: result.invite.encryptedRootKey,
        nonce: result.invite.nonce,
      });
      if (result.created)
        await askKeyHolders(ctx, result.member.meshId, result.member.id, result.member.pubkey);
    }
  }
}

/** Tells the holders of `general`'s key that the new member needs a copy (§5.4); the poll is the fallback. */
async function askKeyHolders(
  ctx: BrokerContext,
  meshId: string,
  memberId: string,
  pubkey: string,
): Promise<void> {
  try {
    const general = await ctx.store.findTopic(meshId, GENERAL_TOPIC);
    if (general) await announceKeyNeeded(ctx, general, memberId, pubkey);
  } catch (err) {
    ctx.log.warn({ err, meshId }, "could not announce a topic key request");
  }
}
