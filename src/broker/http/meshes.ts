/** POST /meshes (protocol.md §7.2): admin token + the owner's signature over its public key. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { timingSafeEqual, randomUUID } from "node:crypto";
import { z } from "zod";
import {
  DisplayName,
  REPLAY_WINDOW_MS,
  TIMESTAMP_SKEW_MS,
  hex64,
  meshCreateCanonical,
  slugify,
} from "../../protocol/index.js";
import { sha256Hex, verify } from "../../crypto/index.js";
import { auditEntry, withAudit } from "../audit.js";
import type { BrokerContext } from "../context.js";
import { fail, json } from "./respond.js";
import { joinGeneral } from "../topics.js";

const noPipe = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !s.includes("|"), "must not contain '|'");

const CreateMesh = z.object({
  name: noPipe(64),
  slug: noPipe(64).optional(),
  owner_pubkey: hex64,
  owner_display_name: DisplayName.min(1).refine((s) => !s.includes("|"), "must not contain '|'"),
  timestamp: z.number().int(),
  signature: z.string().regex(/^[0-9a-f]{128}$/),
});

/** Whether the bearer token hashes to `adminTokenHash` (compared in constant time). */
function tokenMatches(header: string | undefined, adminTokenHash: string): boolean {
  const presented = Buffer.from(sha256Hex((header ?? "").replace(/^Bearer\s+/i, "")));
  const expected = Buffer.from(adminTokenHash);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

export async function createMeshRoute(
  ctx: BrokerContext,
  adminTokenHash: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: Record<string, unknown> | null,
): Promise<void> {
  if (!tokenMatches(req.headers.authorization, adminTokenHash))
    return fail(res, 401, "unauthorized", "missing or wrong admin token");
  const parsed = CreateMesh.safeParse(body);
  if (!parsed.success) return fail(res, 400, "invalid_argument", parsed.error.issues[0]?.message);
  const f = parsed.data;
  const now = Date.now();
  if (Math.abs(now - f.timestamp) > TIMESTAMP_SKEW_MS) return fail(res, 401, "timestamp_skew");
  const canonical = meshCreateCanonical({
    name: f.name,
    ownerPubkey: f.owner_pubkey,
    timestamp: f.timestamp,
  });
  if (!verify(canonical, f.signature, f.owner_pubkey)) return fail(res, 401, "bad_signature");
  if (!(await ctx.store.recordSignature(f.signature, now + REPLAY_WINDOW_MS, now)))
    return fail(res, 401, "replayed");
  const meshId = randomUUID();
  const ownerMemberId = randomUUID();
  const slug = f.slug ?? slugify(f.name);
  const create = async () => {
    await createMesh();
    // Every mesh has a public `general` topic (§6.4), keyless until its first member daemon claims a key.
    await joinGeneral(ctx, meshId, ownerMemberId, "lead", now);
  };
  const createMesh = () =>
    ctx.store.createMesh(
      { id: meshId, name: f.name, slug, ownerMemberId, createdAt: now },
      {
        id: ownerMemberId,
        meshId,
        pubkey: f.owner_pubkey,
        displayName: f.owner_display_name,
        role: "owner",
        defaultGroups: [],
        joinedAt: now,
        revokedAt: null,
        revokeReason: null,
        saved: null,
      },
    );
  await withAudit(ctx, create, () => [
    auditEntry(
      meshId,
      { actorPubkey: f.owner_pubkey, actorName: f.owner_display_name },
      "mesh.created",
      slug,
      now,
    ),
  ]);
  ctx.log.info({ meshId, slug }, "mesh created");
  json(res, 200, { mesh_id: meshId, slug, name: f.name, owner_member_id: ownerMemberId });
}
