/**
 * Creating a mesh, inviting and joining (protocol.md §7.2–§7.4): every secret (owner key, root key,
 * invite secret) is made here and stays here; the broker gets public keys, hashes and ciphertext.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { userInfo, hostname } from "node:os";
import {
  claimHash,
  decryptRootKey,
  deriveInviteKeys,
  fromBase64Url,
  generateIdentity,
  randomBytes,
  toBase64Url,
} from "../crypto/index.js";
import {
  BrokerHttpError,
  claimInvite,
  createMesh,
  health,
  previewInvite,
  registerInvite,
  type InviteClaimResult,
} from "../client/broker-http.js";
import { DEFAULT_BROKER_PORT } from "../protocol/constants.js";
import { displayNameProblem } from "../protocol/targets.js";
import { slugify } from "../protocol/slug.js";
import { formatPublicInviteLink, inviteLinkForBroker, parseInviteLink } from "../protocol/invite-link.js";
import {
  INVITE_REFUSALS,
  NAME_RULE,
  claimResultProblem,
  isAllowedName,
  signInvite,
  signInviteClaim,
} from "../client/invites.js";
import {
  addMesh,
  brokerUrlFields,
  freeSlug,
  loadConfig,
  meshBrokerUrls,
  type MeshConfig,
} from "../host/config.js";
import { defaultBrokerDataDir } from "../host/paths.js";
import { CliError, ExitCode, usageError } from "./errors.js";
import { isLoopbackUrl } from "./services.js";

export const DEFAULT_BROKER_URL = `ws://127.0.0.1:${DEFAULT_BROKER_PORT}/ws`;

/** A display name for this user when none is given: the login name, else the host name. */
export function defaultDisplayName(): string {
  const user = process.env.USER?.trim();
  if (user) return user.slice(0, 64);
  try {
    const name = userInfo().username;
    if (name) return name.slice(0, 64);
  } catch {
    // No passwd entry (containers): fall back to the host name.
  }
  return hostname().slice(0, 64) || "me";
}

/** Names and display names never contain `|` (they go into canonical strings) and are 1–64 chars. */
export function checkName(what: string, value: string): string {
  const trimmed = value.trim();
  if (!isAllowedName(trimmed)) throw usageError(`${what} "${value}" is not allowed`, NAME_RULE);
  return trimmed;
}

/** A display name: a name as {@link checkName} allows, and one others can address with `send`. */
export function checkDisplayName(value: string): string {
  const name = checkName("display name", value);
  const problem = displayNameProblem(name);
  if (problem !== null) {
    throw usageError(`cannot use "${name}": ${problem}`, "choose another name with --name");
  }
  return name;
}

/** The admin token of the broker `claudemesh up` runs (in the default data dir), or null. */
export function localAdminToken(): string | null {
  const file = join(defaultBrokerDataDir(), "admin-token");
  return existsSync(file) ? readFileSync(file, "utf8").trim() || null : null;
}

/** The admin token: `--admin-token`, else `CLAUDEMESH_ADMIN_TOKEN`, else the local broker's token file. */
export function resolveAdminToken(
  brokerUrl: string,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  if (flag) return flag.trim();
  if (env.CLAUDEMESH_ADMIN_TOKEN) return env.CLAUDEMESH_ADMIN_TOKEN.trim();
  const local = isLoopbackUrl(brokerUrl) ? localAdminToken() : null;
  if (local) return local;
  throw new CliError(
    "admin_token_required",
    `creating a mesh on ${brokerUrl} needs the broker's admin token`,
    "pass --admin-token <token> or set CLAUDEMESH_ADMIN_TOKEN (the broker prints it on its first start)",
    ExitCode.auth,
  );
}

/**
 * A new mesh whose slug one of the user's meshes has is refused before anything reaches the broker:
 * `--mesh` and `leave` name meshes by slug, and running `mesh create` twice should not make two meshes.
 */
function refuseTakenSlug(name: string): void {
  const slug = slugify(name);
  const { meshes } = loadConfig();
  const taken = meshes.find((m) => m.slug === slug);
  if (taken === undefined) return;
  throw usageError(
    `you already have a mesh "${slug}" (${taken.role}, on ${taken.broker_url})`,
    `give the new mesh another name (e.g. \`claudemesh mesh create ${freeSlug(meshes, slug)}\`), or leave the old one first (\`claudemesh leave ${slug}\`)`,
    "slug_taken",
  );
}

/**
 * Creates a mesh on the broker with a fresh owner key and root key, and records it in the config.
 * `brokerUrls` are the nodes of the broker (the first is the primary); the request goes to the first that
 * answers.
 */
export async function createMeshAsOwner(f: {
  brokerUrls: readonly string[];
  adminToken: string;
  name: string;
  displayName: string;
  /** Marks the mesh as the one on the broker `claudemesh up` runs (see `MeshConfig.local_broker`). */
  localBroker?: boolean;
}): Promise<MeshConfig> {
  const name = checkName("mesh name", f.name);
  const displayName = checkDisplayName(f.displayName);
  refuseTakenSlug(name);
  const owner = generateIdentity();
  const rootKey = randomBytes(32);
  const created = await createMesh(f.brokerUrls, {
    adminToken: f.adminToken,
    name,
    ownerPubkey: owner.publicKey,
    ownerSecretKey: owner.secretKey,
    ownerDisplayName: displayName,
  }).catch((err: unknown) => {
    if (err instanceof BrokerHttpError && err.code === "unauthorized") {
      throw new CliError(
        err.code,
        err.message,
        "use the admin token the broker printed on its first start, kept in `<its data dir>/admin-token` (any node of a cluster takes it)",
        ExitCode.auth,
      );
    }
    throw err;
  });
  const mesh: MeshConfig = {
    mesh_id: created.mesh_id,
    slug: created.slug,
    name: created.name,
    ...brokerUrlFields(f.brokerUrls),
    member_id: created.owner_member_id,
    pubkey: owner.publicKey,
    secret_key: owner.secretKey,
    root_key: toBase64Url(rootKey),
    display_name: displayName,
    role: "owner",
    owner_pubkey: owner.publicKey,
    joined_at: new Date().toISOString(),
    ...(f.localBroker ? { local_broker: true as const } : {}),
  };
  return addMesh(mesh);
}

export interface CreatedInvite {
  link: string;
  /** The `https://…/join/<code>#<secret>` form, when the broker has a public URL. */
  web_link: string | null;
  code: string;
  role: "member" | "admin";
  expires_at: string;
  max_uses: number;
}

/** Makes, signs and registers an invite for `mesh` (this member must be its owner or an admin). */
export async function createInvite(
  mesh: MeshConfig,
  f: {
    role: "member" | "admin";
    maxUses: number;
    ttlMs: number;
    /** For the https form of the link; by default what the broker's /health reports, if anything. */
    publicUrl?: string | undefined;
  },
): Promise<CreatedInvite> {
  if (mesh.role !== "owner" && mesh.role !== "admin") {
    throw new CliError(
      "forbidden",
      `only the owner or an admin of "${mesh.slug}" can invite (you are a ${mesh.role})`,
      "ask the mesh owner for an invite link",
      ExitCode.auth,
    );
  }
  if (f.maxUses < 1) throw usageError("--uses must be at least 1", "pass --uses 1 or more");
  if (f.ttlMs < 1_000) throw usageError("--expires must be at least 1s", "pass e.g. --expires 7d");
  const expiresAt = Date.now() + f.ttlMs;
  const brokerUrls = meshBrokerUrls(mesh);
  for (let attempt = 0; ; attempt += 1) {
    const invite = signInvite({
      meshId: mesh.mesh_id,
      rootKey: fromBase64Url(mesh.root_key),
      inviterPubkey: mesh.pubkey,
      inviterSecretKey: mesh.secret_key,
      role: f.role,
      maxUses: f.maxUses,
      expiresAt,
    });
    const { code, secret } = invite;
    try {
      await registerInvite(brokerUrls, {
        meshId: mesh.mesh_id,
        pubkey: mesh.pubkey,
        secretKey: mesh.secret_key,
        invite: invite.registration,
      });
    } catch (err) {
      // A code collision (409) is astronomically rare; a fresh code fixes it.
      if (err instanceof BrokerHttpError && err.status === 409 && attempt < 3) continue;
      throw err;
    }
    const publicUrl =
      f.publicUrl ??
      (await health(brokerUrls).then(
        (h) => h.publicUrl ?? null,
        () => null,
      ));
    return {
      link: inviteLinkForBroker({ brokerUrl: brokerUrls, code, secret }),
      web_link: publicUrl ? formatPublicInviteLink({ publicUrl, code, secret }) : null,
      code,
      role: f.role,
      expires_at: new Date(expiresAt).toISOString(),
      max_uses: f.maxUses,
    };
  }
}

function refusal(err: unknown): unknown {
  if (!(err instanceof BrokerHttpError)) return err;
  const known = INVITE_REFUSALS[err.code];
  if (!known) return err;
  const exit = err.code === "not_found" ? ExitCode.usage : ExitCode.auth;
  return new CliError(err.code, known[0], known[1], exit);
}

function forged(why: string): CliError {
  return new CliError(
    "invite_forged",
    `this invite failed verification (${why}); the link or the broker may be forged`,
    "do not use this link; ask the mesh owner for a new one over a channel you trust",
    ExitCode.auth,
  );
}

/** Checks the claim answer against what this link promised (§7.3 "The joiner verifies …"). */
function verifyClaim(result: InviteClaimResult, code: string, expectedClaimHash: string): void {
  const problem = claimResultProblem(result, code, expectedClaimHash);
  if (problem !== null) throw forged(problem);
}

/**
 * Claims the invite in `link`, verifies it, decrypts the root key and records the new membership.
 * `mesh.slug` is the slug it is stored under; `givenSlug` the mesh's own, when another joined mesh had it.
 */
export async function joinWithLink(
  link: string,
  displayNameInput: string | undefined,
): Promise<{ mesh: MeshConfig; givenSlug: string | null }> {
  const parsed = parseInviteLink(link);
  const displayName = checkDisplayName(displayNameInput ?? defaultDisplayName());
  const preview = await previewInvite(parsed.brokerUrls, parsed.code).catch((err: unknown) => {
    throw refusal(err);
  });
  const existing = loadConfig().meshes.find((m) => m.mesh_id === preview.mesh_id);
  if (existing) {
    throw usageError(
      `you are already a member of "${existing.slug}" (${existing.name}) as ${existing.display_name}`,
      `to rejoin, run \`claudemesh leave ${existing.slug} -y\` first`,
      "already_joined",
    );
  }
  const member = generateIdentity();
  const { inviteKey, claimToken } = deriveInviteKeys(parsed.secret, parsed.code);
  const result = await claimInvite(
    parsed.brokerUrls,
    parsed.code,
    signInviteClaim({ code: parsed.code, claimToken, identity: member, displayName }),
  ).catch((err: unknown) => {
    throw refusal(err);
  });
  verifyClaim(result, parsed.code, claimHash(claimToken));
  const rootKey = decryptRootKey(result.encrypted_root_key, result.nonce, inviteKey);
  if (rootKey === null) throw forged("the mesh key does not open with this link's secret");
  const mesh: MeshConfig = {
    mesh_id: result.mesh_id,
    slug: result.slug,
    name: result.mesh_name,
    ...brokerUrlFields(parsed.brokerUrls),
    member_id: result.member_id,
    pubkey: member.publicKey,
    secret_key: member.secretKey,
    root_key: toBase64Url(rootKey),
    display_name: result.display_name ?? displayName,
    role: result.role,
    owner_pubkey: result.owner_pubkey,
    joined_at: new Date().toISOString(),
  };
  const stored = addMesh(mesh);
  return { mesh: stored, givenSlug: stored.slug === mesh.slug ? null : mesh.slug };
}
