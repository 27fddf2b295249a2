/**
 * Meshes and members made through the broker's real HTTP API with real ed25519 keys: `POST /meshes` with
 * the admin token, then one signed invite per member, claimed with the member's own key.
 */
import {
  fromHex,
  generateIdentity,
  randomBytes,
  sign,
  toHex,
  type Identity,
} from "../../src/crypto/index.js";
import { signInvite, signInviteClaim } from "../../src/client/invites.js";
import {
  claimInvite,
  createMesh,
  registerInvite,
  type InviteClaimResult,
  type InviteRegistration,
} from "../../src/client/broker-http.js";

/** The part of a broker handle the fixtures need. */
export interface BrokerAddress {
  url: string;
  adminToken: string;
}

export interface TestMember {
  memberId: string;
  pubkey: string;
  secretKey: string;
  displayName: string;
  role: "owner" | "admin" | "member";
}

export interface TestMesh {
  meshId: string;
  name: string;
  slug: string;
  rootKey: Uint8Array;
  owner: TestMember;
}

export interface TestInvite {
  code: string;
  secret: Uint8Array;
  /** Hex of the claim token, as `POST /invites/:code/claim` wants it. */
  claimToken: string;
  registration: InviteRegistration;
}

let meshCounter = 0;

export async function createTestMesh(
  broker: BrokerAddress,
  options: { name?: string; ownerName?: string } = {},
): Promise<TestMesh> {
  const owner = generateIdentity();
  const name = options.name ?? `mesh-${process.pid}-${++meshCounter}`;
  const ownerName = options.ownerName ?? "owner";
  const created = await createMesh(broker.url, {
    adminToken: broker.adminToken,
    name,
    ownerPubkey: owner.publicKey,
    ownerSecretKey: owner.secretKey,
    ownerDisplayName: ownerName,
  });
  return {
    meshId: created.mesh_id,
    name: created.name,
    slug: created.slug,
    rootKey: randomBytes(32),
    owner: {
      memberId: created.owner_member_id,
      pubkey: owner.publicKey,
      secretKey: owner.secretKey,
      displayName: ownerName,
      role: "owner",
    },
  };
}

/** Builds (without registering) a signed invite by `inviter`. */
export function buildInvite(
  mesh: Pick<TestMesh, "meshId" | "rootKey">,
  inviter: Pick<TestMember, "pubkey" | "secretKey">,
  options: {
    role?: "member" | "admin";
    maxUses?: number;
    expiresAt?: number;
    /** Signs `invite_signature` instead of the inviter's key (a forgery). */
    signingKey?: string;
    /** @default a random code */
    code?: string;
  } = {},
): TestInvite {
  const invite = signInvite({
    meshId: mesh.meshId,
    rootKey: mesh.rootKey,
    inviterPubkey: inviter.pubkey,
    inviterSecretKey: inviter.secretKey,
    role: options.role ?? "member",
    maxUses: options.maxUses ?? 1,
    expiresAt: options.expiresAt ?? Date.now() + 7 * 24 * 3_600_000,
    code: options.code,
  });
  const registration = options.signingKey
    ? { ...invite.registration, invite_signature: sign(invite.canonical, options.signingKey) }
    : invite.registration;
  return { code: invite.code, secret: invite.secret, claimToken: toHex(invite.claimToken), registration };
}

/** Builds and registers an invite (`POST /invites`, signed by the inviter). */
export async function createInvite(
  broker: BrokerAddress,
  mesh: TestMesh,
  inviter: TestMember = mesh.owner,
  options: { role?: "member" | "admin"; maxUses?: number; expiresAt?: number } = {},
): Promise<TestInvite> {
  const invite = buildInvite(mesh, inviter, options);
  await registerInvite(broker.url, {
    meshId: mesh.meshId,
    pubkey: inviter.pubkey,
    secretKey: inviter.secretKey,
    invite: invite.registration,
  });
  return invite;
}

/** The claim body for `identity`, signed over `claudemesh-invite-claim|<code>|<pubkey>|<timestamp>`. */
export function claimBody(
  invite: Pick<TestInvite, "code" | "claimToken">,
  identity: Identity,
  displayName: string,
  timestamp = Date.now(),
) {
  return signInviteClaim({
    code: invite.code,
    claimToken: fromHex(invite.claimToken),
    identity,
    displayName,
    timestamp,
  });
}

export function claimAs(
  broker: BrokerAddress,
  invite: TestInvite,
  identity: Identity,
  displayName: string,
): Promise<InviteClaimResult> {
  return claimInvite(broker.url, invite.code, claimBody(invite, identity, displayName));
}

/** A new member with a fresh key, joined through a one-use invite from the owner. */
export async function addMember(
  broker: BrokerAddress,
  mesh: TestMesh,
  displayName: string,
  role: "member" | "admin" = "member",
): Promise<TestMember> {
  const identity = generateIdentity();
  const invite = await createInvite(broker, mesh, mesh.owner, { role });
  const claimed = await claimAs(broker, invite, identity, displayName);
  return {
    memberId: claimed.member_id,
    pubkey: identity.publicKey,
    secretKey: identity.secretKey,
    // The broker's name for the member: a suffix when the mesh has one of that name already.
    displayName: claimed.display_name ?? displayName,
    role,
  };
}

/**
 * A fresh mesh with one member per name (joined concurrently), keyed by display name.
 * `roleOf` picks each member's role (default: every one a plain member).
 */
const JOINS_AT_ONCE = 4;

export async function meshWith(
  broker: BrokerAddress,
  names: string[],
  roleOf: (name: string) => "member" | "admin" = () => "member",
): Promise<{ mesh: TestMesh; m: Record<string, TestMember> }> {
  const mesh = await createTestMesh(broker);
  // A few joins at a time: each claim appends to the mesh's audit chain, so they take turns on the broker,
  // and dozens at once on a loaded machine can keep the last one waiting past its HTTP timeout.
  const members: TestMember[] = [];
  for (let i = 0; i < names.length; i += JOINS_AT_ONCE) {
    const batch = names.slice(i, i + JOINS_AT_ONCE);
    members.push(...(await Promise.all(batch.map((name) => addMember(broker, mesh, name, roleOf(name))))));
  }
  return { mesh, m: Object.fromEntries(members.map((member) => [member.displayName, member])) };
}
