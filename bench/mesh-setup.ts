/**
 * One mesh and N members through the broker's real HTTP API (protocol.md §7.2-§7.3) with real ed25519
 * keys: the owner creates the mesh with the admin token and signs one invite with N-1 uses; every other
 * peer claims it with its own key.
 */
import { claimInvite, createMesh, registerInvite } from "../src/client/broker-http.js";
import { generateIdentity, randomBytes } from "../src/crypto/index.js";
import { signInvite, signInviteClaim } from "../src/client/invites.js";
import type { BenchPeer } from "./ipc.js";

/** Invite claims in flight at once during setup: thousands of members are claimed in seconds. */
const CLAIM_CONCURRENCY = 64;
const INVITE_TTL_MS = 3_600_000;

export interface BenchMesh {
  meshId: string;
  peers: BenchPeer[];
}

export async function createBenchMesh(
  brokerUrl: string,
  adminToken: string | null,
  peerCount: number,
): Promise<BenchMesh> {
  if (adminToken === null) {
    throw new Error("the first broker node has no admin token: the bench needs a database of its own");
  }
  const owner = generateIdentity();
  const created = await createMesh(brokerUrl, {
    adminToken,
    name: "bench",
    ownerPubkey: owner.publicKey,
    ownerSecretKey: owner.secretKey,
    ownerDisplayName: "peer-0",
  });
  const meshId = created.mesh_id;
  const peers: BenchPeer[] = [
    { index: 0, memberId: created.owner_member_id, displayName: "peer-0", ...owner },
  ];

  const invite = signInvite({
    meshId,
    rootKey: randomBytes(32),
    inviterPubkey: owner.publicKey,
    inviterSecretKey: owner.secretKey,
    role: "member",
    maxUses: peerCount - 1,
    expiresAt: Date.now() + INVITE_TTL_MS,
  });
  await registerInvite(brokerUrl, {
    meshId,
    pubkey: owner.publicKey,
    secretKey: owner.secretKey,
    invite: invite.registration,
  });

  let next = 1;
  const claimOne = async (): Promise<void> => {
    while (next < peerCount) {
      const index = next++;
      const identity = generateIdentity();
      const displayName = `peer-${index}`;
      const result = await claimInvite(
        brokerUrl,
        invite.code,
        signInviteClaim({ code: invite.code, claimToken: invite.claimToken, identity, displayName }),
      );
      peers[index] = { index, memberId: result.member_id, displayName, ...identity };
    }
  };
  await Promise.all(Array.from({ length: CLAIM_CONCURRENCY }, claimOne));
  return { meshId, peers };
}
