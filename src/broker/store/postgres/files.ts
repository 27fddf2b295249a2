import { z } from "zod";
import type { FileRow, FileStore, FileToken } from "../port/index.js";
import { postgresBlobs } from "../blobs/postgres.js";
import type { PgContext } from "./db.js";
import { jsonb } from "./members.js";

const COLUMNS = `id, mesh_id, name, size, tags, persistent, encrypted, target_spec, uploader_member_id,
  uploader_name, owner_pubkey, uploaded_at, expires_at`;

const Tags = z.array(z.string());

type FileDbRow = Omit<FileRow, "tags"> & { tags: unknown };

function toFile(row: FileDbRow): FileRow {
  return { ...row, tags: Tags.parse(row.tags) };
}

/** `%`, `_` and `\` matched literally in a `LIKE` pattern (default escape `\`). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Files (protocol.md §6.6): metadata and the bytes, both in the database every node shares. */
export function fileMethods(ctx: PgContext): FileStore {
  return {
    ...postgresBlobs(ctx),
    async createFile(f, keys) {
      await ctx.run(true, async (db) => {
        await db`
          INSERT INTO files (${db.unsafe(COLUMNS)})
          VALUES (${f.id}, ${f.meshId}, ${f.name}, ${f.size}, ${jsonb(db, f.tags)}, ${f.persistent},
            ${f.encrypted}, ${f.targetSpec}, ${f.uploaderMemberId}, ${f.uploaderName}, ${f.ownerPubkey},
            ${f.uploadedAt}, ${f.expiresAt})`;
        for (const k of keys) {
          await db`
            INSERT INTO file_keys (file_id, member_pubkey, sealed_key) VALUES (${f.id}, ${k.memberPubkey}, ${k.sealedKey})
            ON CONFLICT (file_id, member_pubkey) DO UPDATE SET sealed_key = EXCLUDED.sealed_key`;
        }
      });
    },
    async getFile(meshId, fileId) {
      const [row] = await ctx.run(
        false,
        (db) => db<FileDbRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM files WHERE mesh_id = ${meshId} AND id = ${fileId}`,
      );
      return row ? toFile(row) : null;
    },
    async fileKey(fileId, memberPubkey) {
      const [row] = await ctx.run(
        false,
        (db) => db<{ sealedKey: string }[]>`
          SELECT sealed_key FROM file_keys WHERE file_id = ${fileId} AND member_pubkey = ${memberPubkey}`,
      );
      return row?.sealedKey ?? null;
    },
    async putFileKey(fileId, key) {
      await ctx.run(
        false,
        (db) => db`
          INSERT INTO file_keys (file_id, member_pubkey, sealed_key)
          VALUES (${fileId}, ${key.memberPubkey}, ${key.sealedKey})
          ON CONFLICT (file_id, member_pubkey) DO UPDATE SET sealed_key = EXCLUDED.sealed_key`,
      );
    },
    async listFiles(meshId, viewer, filter, limit) {
      const query = filter.query || null;
      const like = query === null ? null : likeLiteral(query);
      const from = filter.from ?? null;
      // '*': the key of a file for every member (MESH_FILE_KEY).
      const rows = await ctx.run(
        false,
        (db) => db<FileDbRow[]>`
          SELECT ${db.unsafe(COLUMNS)} FROM files f
          WHERE f.mesh_id = ${meshId}
            AND (f.uploader_member_id = ${viewer.memberId} OR NOT f.encrypted
                 OR EXISTS (SELECT 1 FROM file_keys k
                            WHERE k.file_id = f.id AND k.member_pubkey IN (${viewer.memberPubkey}, '*')))
            AND (${from}::text IS NULL OR f.uploader_name = ${from}::text)
            AND (${query}::text IS NULL OR f.name ILIKE '%' || ${like}::text || '%'
                 OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(f.tags) t
                            WHERE lower(t) = lower(${query}::text)))
          ORDER BY f.uploaded_at DESC, f.id DESC LIMIT ${limit}`,
      );
      return rows.map(toFile);
    },
    async recordFileAccess(fileId, access) {
      await ctx.run(
        false,
        (db) => db`
          INSERT INTO file_accesses (file_id, peer_name, accessed_at)
          VALUES (${fileId}, ${access.peerName}, ${access.accessedAt})`,
      );
    },
    async fileAccesses(fileId) {
      return ctx.run(
        false,
        (db) => db<{ peerName: string; accessedAt: number }[]>`
          SELECT peer_name, accessed_at FROM file_accesses WHERE file_id = ${fileId} ORDER BY seq`,
      );
    },
    async deleteFile(meshId, fileId) {
      // Keys, accesses and tokens go with the file (ON DELETE CASCADE).
      const rows = await ctx.run(
        false,
        (db) => db`DELETE FROM files WHERE mesh_id = ${meshId} AND id = ${fileId} RETURNING id`,
      );
      return rows.length > 0;
    },
    async countFiles(meshId) {
      const [row] = await ctx.run(
        false,
        (db) => db<{ n: number }[]>`SELECT COUNT(*)::bigint AS n FROM files WHERE mesh_id = ${meshId}`,
      );
      return row?.n ?? 0;
    },
    async memberFileBytes(meshId, memberId, now) {
      const [row] = await ctx.run(
        false,
        (db) => db<{ n: number }[]>`
          SELECT COALESCE(SUM(size), 0)::bigint AS n FROM files
          WHERE mesh_id = ${meshId} AND uploader_member_id = ${memberId}
            AND (expires_at IS NULL OR expires_at > ${now})`,
      );
      return Number(row?.n ?? 0);
    },
    async expireFiles(now, limit) {
      return ctx.run(true, async (db) => {
        await db`DELETE FROM file_tokens WHERE expires_at <= ${now}`;
        const rows = await db<{ id: string }[]>`
          DELETE FROM files WHERE id IN (
            SELECT id FROM files WHERE expires_at IS NOT NULL AND expires_at <= ${now}
            LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          RETURNING id`;
        return rows.map((r) => r.id);
      });
    },
    async deleteOrphanBlobs(writtenBefore, limit) {
      // Chunks of a file being uploaded have no row yet either: only old ones are orphans.
      const rows = await ctx.run(
        false,
        (db) => db<{ fileId: string }[]>`
          DELETE FROM file_chunks WHERE (file_id, seq) IN (
            SELECT c.file_id, c.seq FROM file_chunks c
            WHERE c.written_at < ${writtenBefore}
              AND NOT EXISTS (SELECT 1 FROM files f WHERE f.id = c.file_id)
            LIMIT ${limit})
          RETURNING file_id`,
      );
      return new Set(rows.map((r) => r.fileId)).size;
    },
    async insertFileToken(t) {
      await ctx.run(
        false,
        (db) => db`
          INSERT INTO file_tokens (token_hash, file_id, mesh_id, peer_name, expires_at)
          VALUES (${t.tokenHash}, ${t.fileId}, ${t.meshId}, ${t.peerName}, ${t.expiresAt})`,
      );
    },
    async fileToken(tokenHash, now) {
      const [row] = await ctx.run(
        false,
        (db) => db<FileToken[]>`
          SELECT token_hash, file_id, mesh_id, peer_name, expires_at FROM file_tokens
          WHERE token_hash = ${tokenHash} AND expires_at > ${now}`,
      );
      return row ?? null;
    },
  };
}
