/**
 * One mesh and N members through the broker's real HTTP API (protocol.md §7.2-§7.3) with real ed25519
 * keys: the owner creates the mesh with the admin token and signs one invite with N-1 uses; every other
 * peer claims it with its own key.
 */
import { claimInvite, createMesh, registerInvite } from "../src/client/broker-http.js";
import {
  claimHash,
  deriveInviteKeys,
  encryptRootKey,
  generateIdentity,
  randomBytes,
  randomString,
  sign,
  toHex,
} from "../src/crypto/index.js";
import { inviteCanonical, inviteClaimCanonical } from "../src/protocol/canonical.js";
import { INVITE_CODE_ALPHABET, INVITE_CODE_LENGTH } from "../src/protocol/constants.js";
import type { BenchPeer } from "./ipc.js";

/** Invite claims in flight at once during setup. */
const CLAIM_CONCURRENCY = 8;
const INVITE_TTL_MS = 3_600_000;

export interface BenchMesh {
  meshId: string;
  peers: BenchPeer[];
}

export async function createBenchMesh(
  brokerUrl: string,
  adminToken: string,
  peerCount: number,
): Promise<BenchMesh> {
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

  const code = randomString(INVITE_CODE_ALPHABET, INVITE_CODE_LENGTH);
  const secret = randomBytes(32);
  const { inviteKey, claimToken } = deriveInviteKeys(secret, code);
  const hash = claimHash(claimToken);
  const sealed = encryptRootKey(randomBytes(32), inviteKey);
  const invite = {
    code,
    role: "member" as const,
    max_uses: peerCount - 1,
    expires_at: Date.now() + INVITE_TTL_MS,
    inviter_pubkey: owner.publicKey,
    claim_hash: hash,
    encrypted_root_key: sealed.ciphertext,
    nonce: sealed.nonce,
  };
  const canonical = inviteCanonical({
    meshId,
    code,
    role: invite.role,
    maxUses: invite.max_uses,
    expiresAt: invite.expires_at,
    inviterPubkey: owner.publicKey,
    claimHash: hash,
  });
  await registerInvite(brokerUrl, {
    meshId,
    pubkey: owner.publicKey,
    secretKey: owner.secretKey,
    invite: { ...invite, invite_signature: sign(canonical, owner.secretKey) },
  });

  let next = 1;
  const claimOne = async (): Promise<void> => {
    while (next < peerCount) {
      const index = next++;
      const identity = generateIdentity();
      const displayName = `peer-${index}`;
      const timestamp = Date.now();
      const result = await claimInvite(brokerUrl, code, {
        claim_token: toHex(claimToken),
        peer_pubkey: identity.publicKey,
        display_name: displayName,
        timestamp,
        signature: sign(
          inviteClaimCanonical({ code, peerPubkey: identity.publicKey, timestamp }),
          identity.secretKey,
        ),
      });
      peers[index] = { index, memberId: result.member_id, displayName, ...identity };
    }
  };
  await Promise.all(Array.from({ length: CLAIM_CONCURRENCY }, claimOne));
  return { meshId, peers };
}
