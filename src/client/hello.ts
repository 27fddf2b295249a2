/** Building signed `hello` / `session_hello` frames (protocol.md §2.3, §2.4). */
import { sign, type Identity } from "../crypto/index.js";
import { attestationCanonical, helloCanonical, sessionHelloCanonical } from "../protocol/canonical.js";
import { ATTESTATION_TTL_MS, PROTOCOL_VERSION } from "../protocol/constants.js";
import type { Attestation, GroupRef } from "../protocol/frames.js";
import { ClientErrorCode, MeshClientError } from "./errors.js";

/** The member this client acts for. `secretKey` may be left out of session connections that mint elsewhere. */
export type MemberIdentity = { memberId: string; publicKey: string; secretKey?: string | undefined };

export type SessionConfig = {
  /** The session's own ed25519 key pair; it signs every `session_hello`. */
  sessionKey: Identity;
  /**
   * Mints a fresh parent attestation on every connect, so the member secret can stay elsewhere.
   * Takes precedence over minting with `identity.secretKey`.
   */
  mintAttestation?: () => Attestation | Promise<Attestation>;
  /** A ready attestation, used only when neither `mintAttestation` nor the member secret is given. */
  attestation?: Attestation;
  /** Informational `role` field of `session_hello`. */
  role?: string;
};

/** The presence fields both hello kinds carry. */
export type HelloProfile = {
  displayName?: string | undefined;
  sessionId: string;
  pid: number;
  cwd: string;
  hostname?: string | undefined;
  peerType?: "ai" | "human" | "connector" | undefined;
  channel?: string | undefined;
  model?: string | undefined;
  groups?: GroupRef[] | undefined;
  capabilities: string[];
};

export type HelloFrameOut = { type: "hello" | "session_hello"; timestamp: number; [field: string]: unknown };

/** The last timestamp signed per key, process-wide, so no key ever signs two hellos in one ms (§2.5). */
const lastSigned = new Map<string, number>();

/** `now()`, bumped past the last timestamp this process signed with `publicKey`. */
export function nextHelloTimestamp(publicKey: string, now: () => number): number {
  const last = lastSigned.get(publicKey) ?? 0;
  const timestamp = Math.max(Math.floor(now()), last + 1);
  lastSigned.set(publicKey, timestamp);
  return timestamp;
}

/** A parent attestation for `sessionPubkey`, valid for 12 h from `now` (§2.4). */
export function mintAttestation(
  member: { publicKey: string; secretKey: string },
  sessionPubkey: string,
  now: number,
  ttlMs: number = ATTESTATION_TTL_MS,
): Attestation {
  const expiresAt = now + ttlMs;
  const canonical = attestationCanonical({ parentMemberPubkey: member.publicKey, sessionPubkey, expiresAt });
  return {
    sessionPubkey,
    parentMemberPubkey: member.publicKey,
    expiresAt,
    signature: sign(canonical, member.secretKey),
  };
}

function profileFields(profile: HelloProfile): Record<string, unknown> {
  return {
    displayName: profile.displayName,
    sessionId: profile.sessionId,
    pid: profile.pid,
    cwd: profile.cwd,
    hostname: profile.hostname,
    peerType: profile.peerType,
    channel: profile.channel,
    model: profile.model,
    groups: profile.groups,
    protocolVersion: PROTOCOL_VERSION,
    capabilities: profile.capabilities,
  };
}

export function buildMemberHello(
  meshId: string,
  member: MemberIdentity,
  profile: HelloProfile,
  now: () => number,
): HelloFrameOut {
  if (member.secretKey === undefined) {
    throw new MeshClientError(ClientErrorCode.badConfig, "a member hello needs the member secret key");
  }
  const timestamp = nextHelloTimestamp(member.publicKey, now);
  const canonical = helloCanonical({
    meshId,
    memberId: member.memberId,
    pubkey: member.publicKey,
    timestamp,
  });
  return {
    type: "hello",
    meshId,
    memberId: member.memberId,
    pubkey: member.publicKey,
    ...profileFields(profile),
    timestamp,
    signature: sign(canonical, member.secretKey),
  };
}

/** Whether a session connection can get a fresh attestation for each connect. */
export function canMintAttestation(member: MemberIdentity, session: SessionConfig): boolean {
  return session.mintAttestation !== undefined || member.secretKey !== undefined;
}

async function attestationFor(
  member: MemberIdentity,
  session: SessionConfig,
  now: number,
): Promise<Attestation> {
  const sessionPubkey = session.sessionKey.publicKey;
  let attestation: Attestation;
  if (session.mintAttestation !== undefined) attestation = await session.mintAttestation();
  else if (member.secretKey !== undefined) {
    attestation = mintAttestation(
      { publicKey: member.publicKey, secretKey: member.secretKey },
      sessionPubkey,
      now,
    );
  } else if (session.attestation !== undefined) attestation = session.attestation;
  else {
    throw new MeshClientError(
      ClientErrorCode.badConfig,
      "a session connection needs the member secret key, mintAttestation or an attestation",
    );
  }
  if (attestation.sessionPubkey !== sessionPubkey || attestation.parentMemberPubkey !== member.publicKey) {
    throw new MeshClientError(
      ClientErrorCode.badConfig,
      "the attestation is for another session or member key",
    );
  }
  if (attestation.expiresAt <= now) {
    throw new MeshClientError(
      "expired",
      "the session attestation has expired; supply a way to mint a fresh one",
    );
  }
  return attestation;
}

export async function buildSessionHello(
  meshId: string,
  member: MemberIdentity,
  session: SessionConfig,
  profile: HelloProfile,
  now: () => number,
): Promise<HelloFrameOut> {
  const parentAttestation = await attestationFor(member, session, now());
  const sessionPubkey = session.sessionKey.publicKey;
  const timestamp = nextHelloTimestamp(sessionPubkey, now);
  const canonical = sessionHelloCanonical({
    meshId,
    parentMemberPubkey: member.publicKey,
    sessionPubkey,
    timestamp,
  });
  return {
    type: "session_hello",
    meshId,
    parentMemberId: member.memberId,
    parentMemberPubkey: member.publicKey,
    sessionPubkey,
    parentAttestation,
    role: session.role,
    ...profileFields(profile),
    timestamp,
    signature: sign(canonical, session.sessionKey.secretKey),
  };
}
