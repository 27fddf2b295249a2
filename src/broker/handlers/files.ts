/**
 * files, WebSocket side (protocol.md §6.6): download URLs with a 60 s one-file token, the list a member
 * may see, the access log, delete (uploader's member or an admin) and key grants (the owner). The bytes
 * go over HTTP (`http/files.ts`).
 */
import { randomHexToken, sha256Hex } from "../../crypto/index.js";
import { ErrorCode, FILE_LIST_MAX, FILE_URL_TTL_MS, type FileEntry } from "../../protocol/index.js";
import { auditEntry, withAudit } from "../audit.js";
import type { BrokerContext } from "../context.js";
import { readAccess, type Reader } from "../files/access.js";
import type { Presence } from "../presence/presence.js";
import type { FileRow } from "../store/port/index.js";
import type { HandlerTable } from "./types.js";

type FileHandlers = Pick<
  HandlerTable,
  "get_file" | "list_files" | "file_status" | "delete_file" | "grant_file_access"
>;

function toEntry(f: FileRow): FileEntry {
  return {
    id: f.id,
    name: f.name,
    size: f.size,
    tags: f.tags,
    uploadedBy: f.uploaderName,
    uploadedAt: new Date(f.uploadedAt).toISOString(),
    persistent: f.persistent,
    encrypted: f.encrypted,
  };
}

/**
 * The download URL of a file with its token: absolute under `--public-url` when the broker has one,
 * else a path the client resolves against the broker address it uses.
 */
function downloadUrl(ctx: BrokerContext, file: FileRow, token: string): string {
  const path = `/download/${encodeURIComponent(file.id)}?mesh=${encodeURIComponent(file.meshId)}&t=${token}`;
  const base = ctx.opts.publicUrl ? ctx.opts.publicUrl.replace(/\/+$/, "") : ctx.opts.basePath;
  return `${base}${path}`;
}

/**
 * The presence as a file reader: its member, under the member's own name. A hello may name a presence
 * anything (another member's name too), so the presence's name never decides whom a file is for.
 */
async function reader(ctx: BrokerContext, p: Presence): Promise<Reader> {
  const member = await ctx.members.byId(p.meshId, p.memberId);
  // A member just revoked is no longer listed: its key stands in for its name.
  return {
    memberId: p.memberId,
    memberPubkey: p.memberPubkey,
    displayName: member?.displayName ?? p.memberPubkey,
  };
}

function isAdmin(p: Presence): boolean {
  return p.memberRole === "owner" || p.memberRole === "admin";
}

export const fileHandlers: FileHandlers = {
  async get_file({ ctx, conn, presence }, frame) {
    const file = await ctx.store.getFile(presence.meshId, frame.fileId);
    if (!file) return conn.error(frame, ErrorCode.notFound, `no file ${frame.fileId} in this mesh`);
    const access = await readAccess(ctx, file, await reader(ctx, presence));
    if (!access.ok) return conn.error(frame, ErrorCode.forbidden, access.message);
    const token = randomHexToken(32);
    await ctx.store.insertFileToken({
      tokenHash: sha256Hex(token),
      fileId: file.id,
      meshId: file.meshId,
      peerName: presence.displayName,
      expiresAt: Date.now() + FILE_URL_TTL_MS,
    });
    conn.reply(frame, {
      type: "file_url",
      fileId: file.id,
      url: downloadUrl(ctx, file, token),
      name: file.name,
      encrypted: file.encrypted,
      ...(access.sealedKey === null ? {} : { sealedKey: access.sealedKey }),
      size: file.size,
    });
  },

  async list_files({ ctx, conn, presence }, frame) {
    const filter = {
      ...(frame.query ? { query: frame.query } : {}),
      ...(frame.from ? { from: frame.from } : {}),
    };
    const files = await ctx.store.listFiles(
      presence.meshId,
      await reader(ctx, presence),
      filter,
      FILE_LIST_MAX,
    );
    conn.reply(frame, { type: "file_list", files: files.map(toEntry) });
  },

  async file_status({ ctx, conn, presence }, frame) {
    const file = await ctx.store.getFile(presence.meshId, frame.fileId);
    if (!file) return conn.error(frame, ErrorCode.notFound, `no file ${frame.fileId} in this mesh`);
    const access = await readAccess(ctx, file, await reader(ctx, presence));
    if (!access.ok && !isAdmin(presence)) return conn.error(frame, ErrorCode.forbidden, access.message);
    const accesses = await ctx.store.fileAccesses(file.id);
    conn.reply(frame, {
      type: "file_status_result",
      fileId: file.id,
      accesses: accesses.map((a) => ({
        peerName: a.peerName,
        accessedAt: new Date(a.accessedAt).toISOString(),
      })),
    });
  },

  async delete_file({ ctx, conn, presence }, frame) {
    const file = await ctx.store.getFile(presence.meshId, frame.fileId);
    if (!file) return conn.error(frame, ErrorCode.notFound, `no file ${frame.fileId} in this mesh`);
    if (file.uploaderMemberId !== presence.memberId && !isAdmin(presence)) {
      return conn.error(
        frame,
        ErrorCode.forbidden,
        `file ${file.id} was shared by ${file.uploaderName}: only its uploader or an admin may delete it`,
      );
    }
    const actor = { actorPubkey: presence.memberPubkey, actorName: presence.displayName };
    const deleted = await withAudit(
      ctx,
      () => ctx.store.deleteFile(presence.meshId, file.id),
      (gone) => (gone ? [auditEntry(presence.meshId, actor, "file.deleted", file.id)] : []),
    );
    // The metadata went first: from here no node serves the file, whatever happens to the bytes.
    if (deleted) await ctx.store.deleteBlob(file.id);
    conn.reply(frame, { type: "ack", id: file.id, messageId: file.id, queued: false });
  },

  async grant_file_access({ ctx, conn, presence }, frame) {
    const file = await ctx.store.getFile(presence.meshId, frame.fileId);
    if (!file) return conn.error(frame, ErrorCode.notFound, `no file ${frame.fileId} in this mesh`);
    if (file.uploaderMemberId !== presence.memberId) {
      return conn.error(
        frame,
        ErrorCode.forbidden,
        `only the owner of file ${file.id} may grant access to it`,
      );
    }
    const member = await ctx.store.findMemberByPubkey(presence.meshId, frame.peerPubkey);
    if (!member || member.revokedAt !== null) {
      return conn.error(
        frame,
        ErrorCode.notFound,
        `${frame.peerPubkey.slice(0, 16)}… is not a member of this mesh`,
      );
    }
    await ctx.store.putFileKey(file.id, { memberPubkey: member.pubkey, sealedKey: frame.sealedKey });
    conn.reply(frame, { type: "grant_file_access_ok", fileId: file.id, peerPubkey: member.pubkey });
  },
};
