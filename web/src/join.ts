/**
 * Joining a mesh from an `http(s)://…/join/<code>#<secret>` link (protocol.md §7.3), in the browser: the
 * member key pair is made here, the claim is signed here, and the secret after `#` never leaves the page.
 * The link parsing, key derivation, claim signing and answer checks are the CLI's own modules.
 */
import {
  claimHash,
  decryptRootKey,
  deriveInviteKeys,
  generateIdentity,
  toBase64Url,
} from "../../src/crypto/index.js";
import type { InviteClaimResult, InvitePreview } from "../../src/client/broker-http.js";
import { INVITE_REFUSALS, claimResultProblem, signInviteClaim } from "../../src/client/invites.js";
import { parseInviteLink, type InviteLink } from "../../src/protocol/invite-link.js";
import { saveMembership, type Membership } from "./membership.js";

/** The link this page was opened with, or an error message saying what is wrong with it. */
export function linkFromLocation(href: string): InviteLink | string {
  try {
    return parseInviteLink(href);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function httpBase(link: InviteLink): string {
  return `${link.tls ? "https" : "http"}://${link.host}${link.basePath}`;
}

/** The broker refused the invite for good (used up, expired, revoked, unknown, wrong secret). */
export class InviteRefusedError extends Error {
  override readonly name = "InviteRefusedError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function brokerJson<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => null)) as
    (T & { ok?: boolean; error?: string; message?: string }) | null;
  if (!response.ok || body === null) {
    const code = body?.error ?? `http_${response.status}`;
    const refusal = INVITE_REFUSALS[code];
    if (refusal !== undefined) throw new InviteRefusedError(code, `${refusal[0]}: ${refusal[1]}`);
    throw new Error(body?.message ? `${body.message} (${code})` : `the broker refused: ${code}`);
  }
  return body;
}

/** `fetch`, with a failure to reach the broker said as such. */
async function call(link: InviteLink, path: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(`${httpBase(link)}${path}`, init);
  } catch {
    throw new Error(`the broker at ${link.host} could not be reached; check your connection and try again`);
  }
}

/** `GET /invites/:code`: the mesh name and inviter, without using the invite. */
export async function previewInvite(link: InviteLink): Promise<InvitePreview> {
  return brokerJson<InvitePreview>(await call(link, `/invites/${encodeURIComponent(link.code)}`));
}

/** Claims the invite, checks the answer, decrypts the root key and stores the new membership. */
export async function joinMesh(link: InviteLink, displayName: string): Promise<Membership> {
  const member = generateIdentity();
  const { inviteKey, claimToken } = deriveInviteKeys(link.secret, link.code);
  const claim = signInviteClaim({ code: link.code, claimToken, identity: member, displayName });
  const response = await call(link, `/invites/${encodeURIComponent(link.code)}/claim`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(claim),
  });
  const result = await brokerJson<InviteClaimResult>(response);
  const problem = claimResultProblem(result, link.code, claimHash(claimToken));
  if (problem !== null) throw new Error(`the broker's answer cannot be trusted: ${problem}`);
  const rootKey = decryptRootKey(result.encrypted_root_key, result.nonce, inviteKey);
  if (rootKey === null) throw new Error("the mesh key does not open with this link's secret");
  const membership: Membership = {
    meshId: result.mesh_id,
    meshName: result.mesh_name,
    slug: result.slug,
    memberId: result.member_id,
    role: result.role,
    displayName: result.display_name ?? displayName,
    pubkey: member.publicKey,
    secretKey: member.secretKey,
    rootKey: toBase64Url(rootKey),
    brokerUrl: link.brokerUrl,
    joinedAt: new Date().toISOString(),
  };
  saveMembership(membership);
  return membership;
}
