/**
 * `POST /upload` and `GET /download/:fileId` (protocol.md §7.2). Both stream: an upload goes to the blob
 * store chunk by chunk while its size is counted and its SHA-256 computed (the signature covers the body,
 * so it is checked once the body is in; a bad one removes what was stored), and a download streams the
 * stored bytes out. No request holds a whole file in memory.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { encryptedBodySize, randomMessageId, sha256Hex } from "../../crypto/index.js";
import {
  FILE_MAX_BYTES,
  FileKeys,
  FileName,
  FileTags,
  MESH_FILE_KEY,
  TIMESTAMP_SKEW_MS,
  UploadHeader,
  hex64,
} from "../../protocol/index.js";
import { auditEntry, withAudit } from "../audit.js";
import type { BrokerContext } from "../context.js";
import { readAccess } from "../files/access.js";
import { publishMeshPush } from "../mesh-push.js";
import { BlobTooLargeError } from "../store/blobs/too-large.js";
import type { FileKey, FileRow, MemberRow } from "../store/port/index.js";
import { fail, json } from "./respond.js";
import { verifySignedHash, verifySignedRequest } from "./signed.js";

/**
 * After a 413 the rest of the body is read and dropped (a client still sending would otherwise get a
 * broken pipe instead of the answer), up to this much more than the limit; then the socket is closed.
 */
const DRAIN_SLACK_BYTES = 4 * 1024 * 1024;

const Bool = z.enum(["true", "false"]).transform((v) => v === "true");

function jsonHeader(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Reported as invalid by the schema below.
    return text;
  }
}

/** `X-File-Name` as our clients send it (URI-encoded, headers being Latin-1), or as it is. */
function decodeName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    // Not URI-encoded (a reference client): the raw header is the name.
    return raw;
  }
}

const UploadHeaders = z.object({
  name: FileName,
  tags: FileTags.default([]),
  persistent: Bool.default(false),
  targetSpec: z.string().min(1).max(8_192).optional(),
  encrypted: Bool.default(false),
  ownerPubkey: hex64.optional(),
  fileKeys: FileKeys.default([]),
});

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * The largest body an upload may have: the 50 MiB limit is on the file, so an encrypted body may carry its
 * nonce and MAC on top.
 */
function maxBodyBytes(encrypted: boolean): number {
  return encrypted ? encryptedBodySize(FILE_MAX_BYTES) : FILE_MAX_BYTES;
}

/** An upload's refusal: over the file size limit, or over what its member may still store. */
type Refusal = readonly [status: number, error: string, message: string];
const TOO_LARGE: Refusal = [413, "too_large", "file too large (max 50 MiB)"];

function overQuota(quota: number): Refusal {
  return [
    403,
    "limit",
    `a member may store at most ${quota} bytes of files in this mesh: delete some first (claudemesh file delete <id>)`,
  ];
}

/**
 * A refusal the client can read: the rest of its body is dropped until `alreadyRead` plus what follows
 * passes `limit` by the slack, then the socket is closed.
 */
function refuseUpload(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  alreadyRead: number,
  [status, error, message]: Refusal,
): void {
  // No `Connection: close`: the server would close the socket on the client still sending, which then
  // sees a broken pipe, not this answer.
  fail(res, status, error, message);
  let drained = alreadyRead;
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > limit + DRAIN_SLACK_BYTES) req.destroy();
  });
  req.resume();
}

/** The request body, hashed as it passes; the request is left open when the reader stops early. */
async function* hashing(req: IncomingMessage, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    const buf = chunk as Buffer;
    hash.update(buf);
    yield buf;
  }
}

/** The members the sealed keys go to; a key for anyone else refuses the upload. */
async function keyMembers(
  ctx: BrokerContext,
  meshId: string,
  keys: readonly { peerPubkey: string }[],
): Promise<MemberRow[] | string> {
  const members: MemberRow[] = [];
  for (const { peerPubkey } of keys) {
    if (peerPubkey === MESH_FILE_KEY) continue;
    const member = await ctx.store.findMemberByPubkey(meshId, peerPubkey);
    if (!member || member.revokedAt !== null)
      return `X-File-Keys: ${peerPubkey.slice(0, 16)}… is not a member of this mesh`;
    members.push(member);
  }
  return members;
}

/**
 * The id of the active member `pubkey` names in `meshId`, itself or through a live session of it, or null
 * (the signature comes later).
 */
async function uploaderOf(ctx: BrokerContext, meshId: string, pubkey: string): Promise<string | null> {
  const member = await ctx.store.findMemberByPubkey(meshId, pubkey);
  if (member) return member.revokedAt === null ? member.id : null;
  return ctx.registry.bySession(meshId, pubkey)?.memberId ?? null;
}

/** How many more bytes of files `memberId` may store in `meshId` (Infinity when the quota is lifted). */
async function roomOf(ctx: BrokerContext, meshId: string, memberId: string): Promise<number> {
  const quota = ctx.opts.fileQuotaBytes;
  if (quota <= 0) return Infinity;
  return Math.max(0, quota - (await ctx.store.memberFileBytes(meshId, memberId, Date.now())));
}

export async function uploadRoute(
  ctx: BrokerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // The cheap checks first, so a request that cannot succeed never gets its body stored.
  const timestamp = Number(header(req, "x-claudemesh-timestamp"));
  const meshId = header(req, "x-claudemesh-mesh");
  const pubkey = header(req, "x-claudemesh-pubkey");
  if (!meshId || !pubkey || !Number.isInteger(timestamp)) return fail(res, 401, "unauthorized");
  if (Math.abs(Date.now() - timestamp) > TIMESTAMP_SKEW_MS) return fail(res, 401, "timestamp_skew");
  // Only a member (or a live session of one) may make the broker store bytes, even for a moment.
  const uploader = await uploaderOf(ctx, meshId, pubkey);
  if (uploader === null) return fail(res, 401, "unauthorized");
  const parsed = UploadHeaders.safeParse({
    name: decodeName(header(req, UploadHeader.name)),
    tags: jsonHeader(header(req, UploadHeader.tags)),
    persistent: header(req, UploadHeader.persistent),
    targetSpec: header(req, UploadHeader.targetSpec),
    encrypted: header(req, UploadHeader.encrypted),
    ownerPubkey: header(req, UploadHeader.ownerPubkey),
    fileKeys: jsonHeader(header(req, UploadHeader.fileKeys)),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0];
    const name =
      typeof field === "string" && field in UploadHeader
        ? UploadHeader[field as keyof typeof UploadHeader]
        : "headers";
    return fail(res, 400, "invalid_argument", `${name}: ${issue?.message ?? "invalid"}`);
  }
  const h = parsed.data;
  if (h.encrypted && h.fileKeys.length === 0)
    return fail(res, 400, "invalid_argument", "x-file-keys: an encrypted file needs at least one sealed key");
  const meshKeys = h.fileKeys.filter((k) => k.peerPubkey === MESH_FILE_KEY).length;
  if (meshKeys > 1 || (meshKeys === 1 && h.targetSpec !== undefined))
    return fail(
      res,
      400,
      "invalid_argument",
      "x-file-keys: at most one key for every member (*), and only for a file without x-target-spec",
    );
  const limit = maxBodyBytes(h.encrypted);
  const declared = Number(header(req, "content-length") ?? 0);
  if (declared > limit) return refuseUpload(req, res, limit, 0, TOO_LARGE);
  // What the member stores counts too, so one member cannot fill the broker's disk. Concurrent uploads
  // of one member each see the room before the others: the quota is not exceeded by more than they hold.
  const room = await roomOf(ctx, meshId, uploader);
  if (declared > room) return refuseUpload(req, res, limit, 0, overQuota(ctx.opts.fileQuotaBytes));
  const cap = Math.min(limit, room);

  const fileId = randomMessageId();
  const hash = createHash("sha256");
  let size: number;
  try {
    size = await ctx.store.writeBlob(fileId, hashing(req, hash), cap);
  } catch (err) {
    if (err instanceof BlobTooLargeError) {
      const refusal = cap < limit ? overQuota(ctx.opts.fileQuotaBytes) : TOO_LARGE;
      return refuseUpload(req, res, limit, cap + 1, refusal);
    }
    throw err;
  }
  let kept = false;
  try {
    const caller = await verifySignedHash(ctx, req, hash.digest("hex"));
    if (!caller.ok) return fail(res, 401, caller.error);
    if (h.ownerPubkey !== undefined && h.ownerPubkey !== caller.member.pubkey)
      return fail(res, 400, "invalid_argument", "x-owner-pubkey: must be the uploading member's key");
    const members = await keyMembers(ctx, caller.meshId, h.fileKeys);
    if (typeof members === "string") return fail(res, 400, "invalid_argument", members);
    const now = Date.now();
    const file: FileRow = {
      id: fileId,
      meshId: caller.meshId,
      name: h.name,
      size,
      tags: h.tags,
      persistent: h.persistent,
      encrypted: h.encrypted,
      targetSpec: h.targetSpec ?? null,
      uploaderMemberId: caller.member.id,
      uploaderName: caller.member.displayName,
      ownerPubkey: caller.member.pubkey,
      uploadedAt: now,
      expiresAt: h.persistent ? null : now + ctx.opts.fileRetentionMs,
    };
    const keys: FileKey[] = h.fileKeys.map((k) => ({ memberPubkey: k.peerPubkey, sealedKey: k.sealedKey }));
    const actor = { actorPubkey: caller.member.pubkey, actorName: caller.member.displayName };
    await withAudit(
      ctx,
      () => ctx.store.createFile(file, keys),
      () => [auditEntry(caller.meshId, actor, "file.shared", fileId, now)],
    );
    kept = true;
    json(res, 200, { ok: true, fileId });
    const recipients = members.map((m) => m.id).filter((id) => id !== caller.member.id);
    publishMeshPush(ctx, {
      meshId: caller.meshId,
      event: "file_shared",
      data: { fileId, name: file.name, size, from: file.uploaderName, fromPubkey: file.ownerPubkey },
      // Encrypted: those it was sealed to. A file for every member (a key under the mesh data key, or a
      // reference client's plaintext file without a target): everyone.
      ...((h.encrypted && meshKeys === 0) || h.targetSpec ? { members: [...new Set(recipients)] } : {}),
    });
  } finally {
    // Refused (or failed) after the bytes went in: nothing of it stays.
    if (!kept) await ctx.store.deleteBlob(fileId);
  }
}

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export async function downloadRoute(
  ctx: BrokerContext,
  req: IncomingMessage,
  res: ServerResponse,
  fileId: string,
  url: URL,
): Promise<void> {
  const meshId = url.searchParams.get("mesh");
  if (!meshId) return fail(res, 400, "invalid_argument", "mesh: the query must name the mesh");
  const token = url.searchParams.get("t");
  let peerName: string;
  if (token) {
    const found = await ctx.store.fileToken(sha256Hex(token), Date.now());
    if (!found || found.fileId !== fileId || found.meshId !== meshId)
      return fail(
        res,
        403,
        "forbidden",
        "the download token is expired or not for this file: ask for the file again",
      );
    peerName = found.peerName;
  } else {
    const caller = await verifySignedRequest(ctx, req, Buffer.alloc(0));
    if (!caller.ok) return fail(res, 401, caller.error);
    if (caller.meshId !== meshId) return fail(res, 403, "forbidden", "signed for another mesh");
    const file = await ctx.store.getFile(meshId, fileId);
    if (!file) return fail(res, 404, "not_found", `no file ${fileId} in this mesh`);
    const member = caller.member;
    const access = await readAccess(ctx, file, {
      memberId: member.id,
      memberPubkey: member.pubkey,
      displayName: member.displayName,
    });
    if (!access.ok) return fail(res, 403, "forbidden", access.message);
    peerName = member.displayName;
  }
  const file = await ctx.store.getFile(meshId, fileId);
  const blob = file ? await ctx.store.readBlob(fileId) : null;
  if (!file || !blob) return fail(res, 404, "not_found", `no file ${fileId} in this mesh`);
  try {
    await ctx.store.recordFileAccess(fileId, { peerName, accessedAt: Date.now() });
  } catch (err) {
    // Not sent: an open file behind the bytes is closed now, not when the process ends.
    if (blob instanceof Readable) blob.destroy();
    throw err;
  }
  res.writeHead(200, {
    "Content-Type": "application/octet-stream",
    "Content-Length": file.size,
    "Content-Disposition": contentDisposition(file.name),
  });
  try {
    await pipeline(Readable.from(blob), res);
  } catch (err) {
    // The client went away mid-download: nothing to answer, nothing to undo.
    ctx.log.debug({ err, fileId }, "download ended early");
  }
}
