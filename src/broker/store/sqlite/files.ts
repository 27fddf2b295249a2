import type { DiskBlobs } from "../blobs/disk.js";
import type { FileAccess, FileRow, FileStore, FileToken } from "../port/index.js";
import type { SqliteContext } from "./db.js";

interface FileDbRow {
  id: string;
  mesh_id: string;
  name: string;
  size: number;
  tags: string;
  persistent: number;
  encrypted: number;
  target_spec: string | null;
  uploader_member_id: string;
  uploader_name: string;
  owner_pubkey: string;
  uploaded_at: number;
  expires_at: number | null;
}

interface ListParams {
  mesh: string;
  memberId: string;
  pubkey: string;
  /** The query as a LIKE literal, and as it is (for tags). */
  like: string | null;
  query: string | null;
  from: string | null;
  limit: number;
}

function toFile(r: FileDbRow): FileRow {
  return {
    id: r.id,
    meshId: r.mesh_id,
    name: r.name,
    size: r.size,
    tags: JSON.parse(r.tags) as string[],
    persistent: r.persistent === 1,
    encrypted: r.encrypted === 1,
    targetSpec: r.target_spec,
    uploaderMemberId: r.uploader_member_id,
    uploaderName: r.uploader_name,
    ownerPubkey: r.owner_pubkey,
    uploadedAt: r.uploaded_at,
    expiresAt: r.expires_at,
  };
}

/** `%`, `_` and `\` matched literally in a `LIKE … ESCAPE '\'` pattern. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Files (protocol.md §6.6): metadata here, the bytes in `blobs` (on disk beside the database). */
export function fileMethods(ctx: SqliteContext, blobs: DiskBlobs): FileStore {
  const q = ctx.statements((db) => {
    const insertFile = db.prepare(
      `INSERT INTO files (id, mesh_id, name, size, tags, persistent, encrypted, target_spec, uploader_member_id,
         uploader_name, owner_pubkey, uploaded_at, expires_at)
       VALUES (@id, @meshId, @name, @size, @tags, @persistent, @encrypted, @targetSpec, @uploaderMemberId,
         @uploaderName, @ownerPubkey, @uploadedAt, @expiresAt)`,
    );
    const putKey = db.prepare<[string, string, string]>(
      `INSERT INTO file_keys (file_id, member_pubkey, sealed_key) VALUES (?, ?, ?)
       ON CONFLICT (file_id, member_pubkey) DO UPDATE SET sealed_key = excluded.sealed_key`,
    );
    const deleteTokens = db.prepare<[number]>("DELETE FROM file_tokens WHERE expires_at <= ?");
    const deleteExpired = db
      .prepare<[number, number], string>(
        `DELETE FROM files WHERE id IN (
           SELECT id FROM files WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)
         RETURNING id`,
      )
      .pluck();
    return {
      create: ctx.atomic(
        (file: FileRow, keys: ReadonlyArray<{ memberPubkey: string; sealedKey: string }>) => {
          insertFile.run({
            ...file,
            tags: JSON.stringify(file.tags),
            persistent: file.persistent ? 1 : 0,
            encrypted: file.encrypted ? 1 : 0,
          });
          for (const k of keys) putKey.run(file.id, k.memberPubkey, k.sealedKey);
        },
      ),
      putKey,
      get: db.prepare<[string, string], FileDbRow>("SELECT * FROM files WHERE mesh_id = ? AND id = ?"),
      key: db
        .prepare<[string, string], string>(
          "SELECT sealed_key FROM file_keys WHERE file_id = ? AND member_pubkey = ?",
        )
        .pluck(),
      list: db.prepare<ListParams, FileDbRow>(
        // '*': the key of a file for every member (MESH_FILE_KEY).
        `SELECT * FROM files f
         WHERE f.mesh_id = @mesh
           AND (f.uploader_member_id = @memberId OR f.encrypted = 0
                OR EXISTS (SELECT 1 FROM file_keys k WHERE k.file_id = f.id AND k.member_pubkey IN (@pubkey, '*')))
           AND (@from IS NULL OR f.uploader_name = @from)
           AND (@query IS NULL OR f.name LIKE '%' || @like || '%' ESCAPE '\\'
                OR EXISTS (SELECT 1 FROM json_each(f.tags) t WHERE lower(t.value) = lower(@query)))
         ORDER BY f.uploaded_at DESC, f.id DESC LIMIT @limit`,
      ),
      access: db.prepare<[string, string, number]>(
        "INSERT INTO file_accesses (file_id, peer_name, accessed_at) VALUES (?, ?, ?)",
      ),
      accesses: db.prepare<[string], { peer_name: string; accessed_at: number }>(
        "SELECT peer_name, accessed_at FROM file_accesses WHERE file_id = ? ORDER BY seq",
      ),
      // Keys, accesses and tokens go with the file (ON DELETE CASCADE).
      delete: db.prepare<[string, string]>("DELETE FROM files WHERE mesh_id = ? AND id = ?"),
      count: db.prepare<[string], number>("SELECT COUNT(*) FROM files WHERE mesh_id = ?").pluck(),
      memberBytes: db
        .prepare<[string, string, number], number>(
          `SELECT COALESCE(SUM(size), 0) FROM files
           WHERE mesh_id = ? AND uploader_member_id = ? AND (expires_at IS NULL OR expires_at > ?)`,
        )
        .pluck(),
      exists: db.prepare<[string], number>("SELECT 1 FROM files WHERE id = ?").pluck(),
      expire: ctx.atomic((now: number, limit: number): string[] => {
        deleteTokens.run(now);
        return deleteExpired.all(now, limit);
      }),
      insertToken: db.prepare<FileToken>(
        `INSERT INTO file_tokens (token_hash, file_id, mesh_id, peer_name, expires_at)
         VALUES (@tokenHash, @fileId, @meshId, @peerName, @expiresAt)`,
      ),
      token: db.prepare<
        [string, number],
        { file_id: string; mesh_id: string; peer_name: string; expires_at: number }
      >(
        "SELECT file_id, mesh_id, peer_name, expires_at FROM file_tokens WHERE token_hash = ? AND expires_at > ?",
      ),
    };
  });

  const { staleEntries, removeEntry, ...blobStore } = blobs;
  return {
    ...blobStore,
    async createFile(file, keys) {
      q().create(file, keys);
    },
    async getFile(meshId, fileId) {
      const row = q().get.get(meshId, fileId);
      return row ? toFile(row) : null;
    },
    async fileKey(fileId, memberPubkey) {
      return q().key.get(fileId, memberPubkey) ?? null;
    },
    async putFileKey(fileId, key) {
      q().putKey.run(fileId, key.memberPubkey, key.sealedKey);
    },
    async listFiles(meshId, viewer, filter, limit) {
      return q()
        .list.all({
          mesh: meshId,
          memberId: viewer.memberId,
          pubkey: viewer.memberPubkey,
          like: filter.query ? likeLiteral(filter.query) : null,
          query: filter.query || null,
          from: filter.from ?? null,
          limit,
        })
        .map(toFile);
    },
    async recordFileAccess(fileId, access) {
      q().access.run(fileId, access.peerName, access.accessedAt);
    },
    async fileAccesses(fileId): Promise<FileAccess[]> {
      return q()
        .accesses.all(fileId)
        .map((r) => ({ peerName: r.peer_name, accessedAt: r.accessed_at }));
    },
    async deleteFile(meshId, fileId) {
      return q().delete.run(meshId, fileId).changes > 0;
    },
    async countFiles(meshId) {
      return q().count.get(meshId) ?? 0;
    },
    async memberFileBytes(meshId, memberId, now) {
      return q().memberBytes.get(meshId, memberId, now) ?? 0;
    },
    async expireFiles(now, limit) {
      return q().expire(now, limit);
    },
    async deleteOrphanBlobs(writtenBefore, limit) {
      let removed = 0;
      for (const entry of await staleEntries(writtenBefore, limit)) {
        if (entry.fileId !== null && q().exists.get(entry.fileId) !== undefined) continue;
        await removeEntry(entry.name);
        removed++;
      }
      return removed;
    },
    async insertFileToken(token) {
      q().insertToken.run(token);
    },
    async fileToken(tokenHash, now) {
      const row = q().token.get(tokenHash, now);
      return row
        ? {
            tokenHash,
            fileId: row.file_id,
            meshId: row.mesh_id,
            peerName: row.peer_name,
            expiresAt: row.expires_at,
          }
        : null;
    },
  };
}
