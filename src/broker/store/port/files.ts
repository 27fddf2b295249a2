/**
 * What the files family stores (protocol.md §5.6, §6.6): metadata, the file key sealed to each recipient,
 * the access log, one-file download tokens, and the (encrypted) bytes behind a small blob seam.
 */

export interface FileRow {
  id: string;
  meshId: string;
  name: string;
  /** Bytes stored. */
  size: number;
  tags: string[];
  persistent: boolean;
  encrypted: boolean;
  /** `X-Target-Spec` as uploaded: member pubkeys joined by `,` from our clients; null for everyone. */
  targetSpec: string | null;
  uploaderMemberId: string;
  uploaderName: string;
  /** `X-Owner-Pubkey`: the uploading member's key. */
  ownerPubkey: string;
  uploadedAt: number;
  /** When a non-persistent file is deleted; null for a persistent one. */
  expiresAt: number | null;
}

export interface FileKey {
  /** A member pubkey. */
  memberPubkey: string;
  sealedKey: string;
}

export interface FileAccess {
  peerName: string;
  accessedAt: number;
}

export interface FileFilter {
  /** Case-insensitive substring of the name, or a tag equal to it (case-insensitive). */
  query?: string;
  /** The uploader's display name. */
  from?: string;
}

/** A one-file download token (`file_url`, §6.6), stored hashed so any node can check it. */
export interface FileToken {
  tokenHash: string;
  fileId: string;
  meshId: string;
  peerName: string;
  expiresAt: number;
}

/** The bytes: written once as they stream in, read back as a stream, deleted with their file. */
export interface BlobStore {
  /**
   * Stores what `source` yields under `fileId`, never holding much more than one chunk in memory. When
   * more than `maxBytes` arrive it stops reading, removes what it wrote and rejects with
   * `BlobTooLargeError` (`store/blobs/too-large.ts`); on any other failure it removes what it wrote too. Resolves to the size.
   */
  writeBlob(fileId: string, source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<number>;
  /** The bytes of `fileId` as a stream of chunks, or null when there are none. */
  readBlob(fileId: string): Promise<AsyncIterable<Uint8Array> | null>;
  /** Removes the bytes of `fileId`; nothing to remove is fine. */
  deleteBlob(fileId: string): Promise<void>;
}

export interface FileStore extends BlobStore {
  /** The metadata row and its sealed keys, together. */
  createFile(file: FileRow, keys: readonly FileKey[]): Promise<void>;
  getFile(meshId: string, fileId: string): Promise<FileRow | null>;
  /** The key sealed to `memberPubkey`, or null. */
  fileKey(fileId: string, memberPubkey: string): Promise<string | null>;
  /** Adds or replaces the key sealed to `memberPubkey`. */
  putFileKey(fileId: string, key: FileKey): Promise<void>;
  /**
   * Newest first, at most `limit`, only those `viewer` may see: its own uploads, files holding a key
   * sealed to it, and unencrypted files for everyone.
   */
  listFiles(
    meshId: string,
    viewer: { memberId: string; memberPubkey: string },
    filter: FileFilter,
    limit: number,
  ): Promise<FileRow[]>;
  recordFileAccess(fileId: string, access: FileAccess): Promise<void>;
  /** Oldest first. */
  fileAccesses(fileId: string): Promise<FileAccess[]>;
  /** Deletes the metadata, keys, log and tokens (not the bytes); false when it was not in `meshId`. */
  deleteFile(meshId: string, fileId: string): Promise<boolean>;
  countFiles(meshId: string): Promise<number>;
  /** The total size of the files `memberId` uploaded to `meshId` that have not expired at `now`. */
  memberFileBytes(meshId: string, memberId: string, now: number): Promise<number>;
  /**
   * Deletes the metadata of at most `limit` files whose `expiresAt` has passed, and download tokens
   * past theirs; returns the ids of the files, whose bytes the caller then deletes.
   */
  expireFiles(now: number, limit: number): Promise<string[]>;
  /**
   * Removes at most `limit` stored blobs (PostgreSQL: chunks) that belong to no file and were last written before
   * `writtenBefore`: what an upload or delete cut short by a crash left behind. Returns how many.
   */
  deleteOrphanBlobs(writtenBefore: number, limit: number): Promise<number>;
  insertFileToken(token: FileToken): Promise<void>;
  /** The token with this hash while it is live (`expiresAt > now`), else null. */
  fileToken(tokenHash: string, now: number): Promise<FileToken | null>;
}
