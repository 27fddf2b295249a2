/**
 * files (protocol.md §5.6, §6.6, §7.2): bytes go over HTTP, encrypted by the uploader; the WebSocket side
 * hands out download URLs, lists, access logs, deletes and key grants.
 */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { hex64, reqId, replyReqId } from "../fields.js";
import { AckFrame } from "./messaging.js";

/**
 * Largest shared file (§8): 50 MiB. The limit is the file's own size: an encrypted upload's body may be
 * larger by its nonce and MAC, a plaintext one may not.
 */
export const FILE_MAX_BYTES = 52_428_800;
/** How long a `file_url` download URL and its token stay valid (§8). */
export const FILE_URL_TTL_MS = 60_000;
/** Non-persistent files are deleted this long after upload (§8). */
export const FILE_RETENTION_MS = 7 * 24 * 3_600_000;
/**
 * Bytes of stored files (as uploaded, nonce and MAC included) one member may have in a mesh at a time,
 * expired files aside [ours]: one member cannot fill the broker's disk. 1 GiB.
 */
export const FILE_QUOTA_BYTES = 1_073_741_824;
/** `list_files` returns at most this many. */
export const FILE_LIST_MAX = 100;
export const FILE_NAME_MAX_CHARS = 255;
export const FILE_TAGS_MAX = 32;
/** Recipients one upload may seal its key to (the owner's copy included). */
export const FILE_KEYS_MAX = 256;
/** A sealed 32-byte file key is 80 bytes: 108 base64 characters. Room for nothing much larger. */
const SEALED_KEY_MAX_CHARS = 256;

const FileId = z.string().min(1).max(64);
export const FileName = z
  .string()
  .min(1)
  .max(FILE_NAME_MAX_CHARS)
  .refine(
    (s) => ![...s].some((c) => c === "/" || c === "\\" || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f),
    "must not contain a path separator or control character",
  );
export const FileTags = z.array(z.string().min(1).max(64)).max(FILE_TAGS_MAX);
export const SealedKey = z
  .string()
  .min(1)
  .max(SEALED_KEY_MAX_CHARS)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be standard base64");

/**
 * The `peerPubkey` of the `X-File-Keys` entry that opens a file for every member of the mesh, those who
 * join later too [ours]: its `sealedKey` is the file key (base64) as a `cm:enc1:` string under the mesh
 * data key (§5.8). Only for a file without `X-Target-Spec`.
 */
export const MESH_FILE_KEY = "*";
const MeshSealedKey = z
  .string()
  .max(SEALED_KEY_MAX_CHARS)
  .regex(/^cm:enc1:[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}$/, "must be a cm:enc1: string");

/** One entry of `X-File-Keys`: the file key sealed to one member key, or under the mesh data key. */
export const FileKeyEntry = z.union([
  z.object({ peerPubkey: hex64, sealedKey: SealedKey }),
  z.object({ peerPubkey: z.literal(MESH_FILE_KEY), sealedKey: MeshSealedKey }),
]);
export type FileKeyEntry = z.infer<typeof FileKeyEntry>;
export const FileKeys = z.array(FileKeyEntry).max(FILE_KEYS_MAX);

/** The upload headers of `POST /upload` (§7.2), by their lower-case names. */
export const UploadHeader = {
  name: "x-file-name",
  tags: "x-tags",
  persistent: "x-persistent",
  targetSpec: "x-target-spec",
  encrypted: "x-encrypted",
  ownerPubkey: "x-owner-pubkey",
  fileKeys: "x-file-keys",
} as const;

export const GetFileFrame = z.object({ type: z.literal("get_file"), fileId: FileId, _reqId: reqId });

export const ListFilesFrame = z.object({
  type: z.literal("list_files"),
  /** Case-insensitive substring of the name or a tag. */
  query: z.string().max(256).optional(),
  /** Only files uploaded by this display name. */
  from: z.string().max(128).optional(),
  _reqId: reqId,
});

export const FileStatusFrame = z.object({ type: z.literal("file_status"), fileId: FileId, _reqId: reqId });

export const DeleteFileFrame = z.object({ type: z.literal("delete_file"), fileId: FileId, _reqId: reqId });

export const GrantFileAccessFrame = z.object({
  type: z.literal("grant_file_access"),
  fileId: FileId,
  /** A member pubkey of the mesh. */
  peerPubkey: hex64,
  sealedKey: SealedKey,
  _reqId: reqId,
});

export const FileUrl = z.object({
  type: z.literal("file_url"),
  fileId: z.string(),
  /** A broker download URL with a one-file token, valid 60 s. */
  url: z.string(),
  name: z.string(),
  encrypted: z.boolean().optional(),
  /** The file key sealed to the caller's member key. */
  sealedKey: z.string().optional(),
  /** [ours, additive] Size of the stored (encrypted) bytes. */
  size: z.number().int().nonnegative().optional(),
  _reqId: replyReqId,
});
export type FileUrl = z.infer<typeof FileUrl>;

export const FileEntry = z.object({
  id: z.string(),
  name: z.string(),
  /** Bytes stored (for our clients: the encrypted body, 40 bytes more than the file). */
  size: z.number().int().nonnegative(),
  tags: z.array(z.string()),
  /** Display name of the uploader. */
  uploadedBy: z.string(),
  uploadedAt: z.string(),
  persistent: z.boolean(),
  encrypted: z.boolean(),
});
export type FileEntry = z.infer<typeof FileEntry>;

export const FileList = z.object({
  type: z.literal("file_list"),
  files: z.array(FileEntry),
  _reqId: replyReqId,
});
export type FileList = z.infer<typeof FileList>;

export const FileStatusResult = z.object({
  type: z.literal("file_status_result"),
  fileId: z.string(),
  accesses: z.array(z.object({ peerName: z.string(), accessedAt: z.string() })),
  _reqId: replyReqId,
});
export type FileStatusResult = z.infer<typeof FileStatusResult>;

export const GrantFileAccessOk = z.object({
  type: z.literal("grant_file_access_ok"),
  fileId: z.string(),
  peerPubkey: z.string(),
  _reqId: replyReqId,
});

/** [ours, additive] `eventData` of the `file_shared` system push each recipient's presences get. */
export const FileSharedData = z.object({
  fileId: z.string(),
  name: z.string(),
  size: z.number().int().nonnegative(),
  from: z.string(),
  fromPubkey: z.string(),
});
export type FileSharedData = z.infer<typeof FileSharedData>;

export const fileRequests = [
  GetFileFrame,
  ListFilesFrame,
  FileStatusFrame,
  DeleteFileFrame,
  GrantFileAccessFrame,
] as const;
type FileRequestType = z.infer<(typeof fileRequests)[number]>["type"];

export const fileReplies = {
  get_file: FileUrl,
  list_files: FileList,
  file_status: FileStatusResult,
  delete_file: AckFrame,
  grant_file_access: GrantFileAccessOk,
} as const satisfies ReplyTable<FileRequestType>;
