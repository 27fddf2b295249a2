/**
 * The daemon API's views of files (protocol.md §6.6), as `claudemesh file … --json` prints them (cli.md
 * "Shared mesh features"), and their mapping from the wire replies.
 */
import { sharedFileSize } from "../crypto/files.js";
import type { FileEntry } from "../protocol/index.js";

export interface FileView {
  id: string;
  name: string;
  /** The file's own size, as share and get answer it (the broker stores 40 bytes more when encrypted). */
  size: number;
  uploaded_by: string;
  uploaded_at: string;
  persistent: boolean;
}

/** A file shared or fetched: its plaintext size and SHA-256. */
export interface FileTransferView {
  id: string;
  name: string;
  size: number;
  sha256: string;
}

/**
 * The `file_progress` event: bytes a share (`up`, the encrypted body) or get (`down`) has moved so far, for
 * the `transfer_id` its request named. At most about ten a second per transfer, and always the last one
 * (`done === total`) once the bytes are all through.
 */
export interface FileProgressEvent {
  mesh: string;
  transferId: string;
  direction: "up" | "down";
  done: number;
  total: number;
}

export function fileView(f: FileEntry): FileView {
  return {
    id: f.id,
    name: f.name,
    size: sharedFileSize(f.size, f.encrypted),
    uploaded_by: f.uploadedBy,
    uploaded_at: f.uploadedAt,
    persistent: f.persistent,
  };
}
