/**
 * File bytes in PostgreSQL, so every node of a cluster serves every file: `file_chunks` rows of `bytea`,
 * 1 MiB each, written one statement per chunk as the upload streams in and read back one row at a time.
 *
 * Chunked `bytea` rather than large objects: rows go with an ordinary `DELETE` (large objects need
 * `lo_unlink` and leak when a row pointing at one is deleted without it), need no transaction spanning
 * the whole upload (large-object descriptors live only inside one), replicate and back up like any
 * table, and the driver (postgres.js) has no large-object streaming API. One row per MiB keeps each
 * statement, and the memory of an upload or download, small.
 */
import type { Db, PgContext } from "../postgres/db.js";
import type { BlobStore } from "../port/index.js";
import { BlobTooLargeError } from "./too-large.js";

export const CHUNK_BYTES = 1024 * 1024;

/** Regroups a stream of chunks of any size into chunks of `size` bytes (the last one shorter). */
async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  for await (const chunk of source) {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (held + buf.length >= size) {
      const take = size - held;
      parts.push(buf.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      held = 0;
      buf = buf.subarray(take);
    }
    if (buf.length > 0) {
      // Copied: the request stream may reuse the memory of the chunk it handed out.
      parts.push(Buffer.from(buf));
      held += buf.length;
    }
  }
  if (held > 0) yield Buffer.concat(parts);
}

export function postgresBlobs(ctx: PgContext): BlobStore {
  const remove = (fileId: string) =>
    ctx.run(false, (db: Db) => db`DELETE FROM file_chunks WHERE file_id = ${fileId}`);

  return {
    async writeBlob(fileId, source, maxBytes) {
      let size = 0;
      let seq = 0;
      try {
        for await (const chunk of rechunk(source, CHUNK_BYTES)) {
          size += chunk.length;
          if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
          const n = seq++;
          await ctx.run(
            false,
            (db) => db`
              INSERT INTO file_chunks (file_id, seq, data, written_at)
              VALUES (${fileId}, ${n}, ${chunk}, ${Date.now()})`,
          );
        }
        return size;
      } catch (err) {
        await remove(fileId);
        throw err;
      }
    },
    async readBlob(fileId) {
      const [first] = await ctx.run(
        false,
        (db) => db<{ n: number }[]>`SELECT COUNT(*)::bigint AS n FROM file_chunks WHERE file_id = ${fileId}`,
      );
      const count = first?.n ?? 0;
      if (count === 0) return null;
      return (async function* () {
        for (let seq = 0; seq < count; seq++) {
          const [row] = await ctx.run(
            false,
            (db) => db<{ data: Buffer }[]>`
              SELECT data FROM file_chunks WHERE file_id = ${fileId} AND seq = ${seq}`,
          );
          // Deleted while being read: end early; the receiver's size and decryption checks catch it.
          if (!row) return;
          yield row.data;
        }
      })();
    },
    async deleteBlob(fileId) {
      await remove(fileId);
    },
  };
}
