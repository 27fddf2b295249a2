/**
 * Hello and session-hello checks, in protocol order (protocol.md §2.3, §2.4). First failure wins.
 * Returns the authenticated member or the refusal (code, message, close code).
 */
import {
  CloseCode,
  MAX_ATTESTATION_TTL_MS,
  REPLAY_WINDOW_MS,
  TIMESTAMP_SKEW_MS,
  isPubkey,
  type HelloFrame,
  type SessionHelloFrame,
} from "../../protocol/index.js";
import { attestationCanonical, helloCanonical, sessionHelloCanonical } from "../../protocol/canonical.js";
import { verify } from "../../crypto/index.js";
import type { BrokerContext } from "../context.js";
import type { MemberRow } from "../store/port/index.js";

export type HandshakeResult =
  | { ok: true; member: MemberRow; meshName: string }
  | { ok: false; code: string; message: string; closeCode: number; metricReason: string };

const HEX128 = /^[0-9a-f]{128}$/;

function refuse(
  code: string,
  message: string,
  metricReason = code,
  closeCode: number = CloseCode.policy,
): HandshakeResult {
  return { ok: false, code, message, closeCode, metricReason };
}

/** `capacityOk` is decided by the caller: it knows whether the hello would reattach an existing presence. */
export async function verifyMemberHello(
  ctx: BrokerContext,
  f: HelloFrame,
  capacityOk: boolean,
): Promise<HandshakeResult> {
  if (f.sessionPubkey && !isPubkey(f.sessionPubkey))
    return refuse("bad_session_pubkey", "sessionPubkey must be 64 lower-case hex");
  if (!capacityOk) return refuse("capacity", "mesh is at its connection limit");
  const now = Date.now();
  if (!Number.isFinite(f.timestamp) || Math.abs(now - f.timestamp) > TIMESTAMP_SKEW_MS) {
    return refuse("timestamp_skew", `timestamp is more than ${TIMESTAMP_SKEW_MS} ms from the broker's clock`);
  }
  if (!isPubkey(f.pubkey) || !HEX128.test(f.signature))
    return refuse("malformed", "pubkey or signature is not lower-case hex of the right length");
  const canonical = helloCanonical({
    meshId: f.meshId,
    memberId: f.memberId,
    pubkey: f.pubkey,
    timestamp: f.timestamp,
  });
  if (!verify(canonical, f.signature, f.pubkey))
    return refuse("bad_signature", "hello signature does not verify");
  if (!(await ctx.store.recordSignature(f.signature, now + REPLAY_WINDOW_MS, now))) {
    return refuse("replayed_hello", "this hello signature was already used; sign a fresh timestamp");
  }
  return memberCheck(ctx, f.meshId, f.pubkey, f.memberId, "member");
}

export async function verifySessionHello(
  ctx: BrokerContext,
  f: SessionHelloFrame,
  capacityOk: boolean,
): Promise<HandshakeResult> {
  if (!isPubkey(f.sessionPubkey))
    return refuse("bad_session_pubkey", "sessionPubkey must be 64 lower-case hex");
  if (!isPubkey(f.parentMemberPubkey))
    return refuse("bad_parent_pubkey", "parentMemberPubkey must be 64 lower-case hex");
  const att = f.parentAttestation;
  if (
    typeof att !== "object" ||
    att === null ||
    (att as Record<string, unknown>).sessionPubkey !== f.sessionPubkey ||
    (att as Record<string, unknown>).parentMemberPubkey !== f.parentMemberPubkey
  ) {
    return refuse("attestation_mismatch", "parentAttestation keys do not match the hello");
  }
  if (!capacityOk) return refuse("capacity", "mesh is at its connection limit");
  const now = Date.now();
  const { expiresAt, signature: attSig } = att as { expiresAt: unknown; signature: unknown };
  if (typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) {
    return refuse("malformed", "attestation expiresAt must be a number", "attestation_malformed");
  }
  if (expiresAt <= now) return refuse("expired", "attestation has expired", "attestation_expired");
  if (expiresAt > now + MAX_ATTESTATION_TTL_MS) {
    return refuse("ttl_too_long", "attestation lifetime exceeds 24 h", "attestation_ttl_too_long");
  }
  if (typeof attSig !== "string" || !HEX128.test(attSig)) {
    return refuse("malformed", "attestation signature is not 128 lower-case hex", "attestation_malformed");
  }
  const attCanonical = attestationCanonical({
    parentMemberPubkey: f.parentMemberPubkey,
    sessionPubkey: f.sessionPubkey,
    expiresAt,
  });
  if (!verify(attCanonical, attSig, f.parentMemberPubkey)) {
    return refuse(
      "bad_signature",
      "attestation is not signed by the parent member key",
      "attestation_bad_signature",
    );
  }
  if (!Number.isFinite(f.timestamp) || Math.abs(now - f.timestamp) > TIMESTAMP_SKEW_MS) {
    return refuse(
      "timestamp_skew",
      `timestamp is more than ${TIMESTAMP_SKEW_MS} ms from the broker's clock`,
      "session_timestamp_skew",
    );
  }
  if (!HEX128.test(f.signature))
    return refuse("malformed", "signature is not 128 lower-case hex", "session_malformed");
  const canonical = sessionHelloCanonical({
    meshId: f.meshId,
    parentMemberPubkey: f.parentMemberPubkey,
    sessionPubkey: f.sessionPubkey,
    timestamp: f.timestamp,
  });
  if (!verify(canonical, f.signature, f.sessionPubkey)) {
    return refuse("bad_signature", "session hello is not signed by the session key", "session_bad_signature");
  }
  if (!(await ctx.store.recordSignature(f.signature, now + REPLAY_WINDOW_MS, now))) {
    return refuse("replayed_hello", "this hello signature was already used; sign a fresh timestamp");
  }
  return memberCheck(ctx, f.meshId, f.parentMemberPubkey, f.parentMemberId, "session");
}

async function memberCheck(
  ctx: BrokerContext,
  meshId: string,
  pubkey: string,
  claimedMemberId: string | undefined,
  kind: "member" | "session",
): Promise<HandshakeResult> {
  const member = await ctx.store.findMemberByPubkey(meshId, pubkey);
  const mesh = member ? await ctx.store.getMesh(meshId) : null;
  if (!member || !mesh) return refuse("unauthorized", "not a member of this mesh");
  if (member.revokedAt !== null) {
    return refuse(
      "revoked",
      `You've been removed from "${mesh.name}". Contact the mesh owner to rejoin.`,
      "revoked",
      CloseCode.banned,
    );
  }
  if (claimedMemberId && claimedMemberId !== member.id) {
    if (kind === "session")
      return refuse("parent_member_id_mismatch", "parentMemberId does not match the parent key");
    ctx.log.warn(
      { meshId, memberId: member.id },
      "hello memberId does not match the key's member; using the key's",
    );
  }
  return { ok: true, member, meshName: mesh.name };
}
