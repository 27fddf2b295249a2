/**
 * File bytes on disk, for the SQLite store: one file per upload under `<data dir>/files/` (0700), each
 * 0600, written under a temporary name and renamed into place once complete, so a reader never sees a
 * half-written file and a crash leaves only a `.part` file behind.
 */
import { createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { randomHexToken } from "../../../crypto/index.js";
import type { BlobStore } from "../port/index.js";
import { BlobTooLargeError } from "./too-large.js";

/** File ids are broker-made `[A-Za-z0-9]`; anything else never becomes a path. */
const SAFE_ID = /^[A-Za-z0-9]{1,64}$/;

function checkedId(fileId: string): string {
  if (!SAFE_ID.test(fileId)) throw new RangeError(`not a file id: ${JSON.stringify(fileId)}`);
  return fileId;
}

/** One entry of the blob directory: a complete file's bytes (`fileId`), or an unfinished upload (null). */
export interface DiskEntry {
  name: string;
  fileId: string | null;
}

export interface DiskBlobs extends BlobStore {
  /** At most `limit` entries last written before `before` (ms). */
  staleEntries(before: number, limit: number): Promise<DiskEntry[]>;
  removeEntry(name: string): Promise<void>;
}

export function diskBlobs(dir: string): DiskBlobs {
  let ready: Promise<unknown> | null = null;
  const ensureDir = () => (ready ??= mkdir(dir, { recursive: true, mode: 0o700 }));
  const pathOf = (fileId: string) => join(dir, checkedId(fileId));

  return {
    async writeBlob(fileId, source, maxBytes) {
      const final = pathOf(fileId);
      await ensureDir();
      const temp = join(dir, `.${fileId}.${randomHexToken(8)}.part`);
      let size = 0;
      async function* counted(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
        for await (const chunk of chunks) {
          size += chunk.length;
          if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
          yield chunk;
        }
      }
      try {
        // The pipeline waits for the disk before reading more of the request, and on any failure (the
        // limit, a full disk) stops both ends, a write still in flight included, before it rejects.
        await pipeline(source, counted, createWriteStream(temp, { mode: 0o600, flags: "wx" }));
        await rename(temp, final);
        return size;
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
    },
    async readBlob(fileId) {
      let handle;
      try {
        handle = await open(pathOf(fileId), "r");
      } catch (err) {
        // No bytes (never written, or deleted): the caller answers not_found.
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
      }
      // Opened before it is handed out: a file deleted meanwhile is a null here, never an error event on a
      // stream nobody listens to yet. Destroying the stream closes the file.
      return handle.createReadStream({ highWaterMark: 256 * 1024 });
    },
    async deleteBlob(fileId) {
      await rm(pathOf(fileId), { force: true });
    },
    async staleEntries(before, limit) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        // No directory yet: nothing was ever written.
        return [];
      }
      const stale: DiskEntry[] = [];
      for (const name of names) {
        if (stale.length >= limit) break;
        const info = await stat(join(dir, name)).catch(() => null);
        if (!info?.isFile() || info.mtimeMs >= before) continue;
        stale.push({ name, fileId: SAFE_ID.test(name) ? name : null });
      }
      return stale;
    },
    async removeEntry(name) {
      await rm(join(dir, name), { force: true });
    },
  };
}
