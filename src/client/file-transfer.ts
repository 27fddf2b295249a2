/**
 * Moving file bytes to and from the broker (protocol.md §5.6, §7.2). Upload: a fresh 32-byte file key,
 * the body `nonce ‖ secretbox(bytes)`, the key sealed to each recipient's member key (and the owner's),
 * one signed `POST /upload`. Download: the `file_url` a `get_file` answered, streamed in, the sealed key
 * opened with the member key, decrypted and checked. Plaintext and keys never leave the machine.
 */
import {
  FILE_KEY_BYTES,
  decryptFile,
  encryptFile,
  encryptedBodySize,
  fromBase64,
  randomBytes,
  sealOpen,
  sealTo,
  sha256Hex,
  toBase64,
} from "../crypto/index.js";
import { decryptValueString, encryptValueString, isEncryptedValueString } from "../crypto/values.js";
import { FILE_MAX_BYTES, MESH_FILE_KEY, UploadHeader, type FileUrl } from "../protocol/index.js";
import { BrokerHttpError, brokerHttpBase } from "./broker-http.js";
import { MeshClientError } from "./errors.js";
import { nodeTransport, type FileTransport, type TransferProgress } from "./node-transport.js";
import { signHttpRequest } from "./signing.js";

export type { FileTransport, TransferProgress } from "./node-transport.js";

/** Who signs an upload, and whose key opens a download: a member's key pair. */
export interface FileIdentity {
  meshId: string;
  publicKey: string;
  secretKey: string;
}

/** Whose keys open a download: the member key pair, and the mesh data key for a file for every member. */
export interface FileReader {
  publicKey: string;
  secretKey: string;
  meshDataKey?: Uint8Array;
}

export interface UploadInput {
  bytes: Uint8Array;
  name: string;
  /** Member pubkeys the key is sealed to; the owner's own is added. */
  recipients: readonly string[];
  /**
   * The mesh data key, for a file for every member: the file key is also put under it (`*` in
   * `X-File-Keys`), so members who join later open it too. Not with `targetSpec`.
   */
  meshDataKey?: Uint8Array;
  /** `X-Target-Spec`: set when the file is for named recipients only. */
  targetSpec?: string;
  tags?: readonly string[];
  persistent?: boolean;
  onProgress?: TransferProgress;
  /** How the bytes move: Node's HTTP client unless given (the web app passes the browser's). */
  transport?: FileTransport;
}

export interface UploadResult {
  fileId: string;
  /** Plaintext size. */
  size: number;
  /** SHA-256 of the plaintext, lower-case hex. */
  sha256: string;
}

export interface DownloadResult {
  bytes: Uint8Array;
  sha256: string;
}

function jsonOf(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body)) as unknown;
  } catch {
    // Not JSON: reported with the status by the caller.
    return null;
  }
}

function httpError(status: number, body: unknown): BrokerHttpError {
  const b = (body ?? {}) as { error?: unknown; message?: unknown };
  const code = typeof b.error === "string" ? b.error : `http_${status}`;
  const message = typeof b.message === "string" ? b.message : `broker answered HTTP ${status} ${code}`;
  return new BrokerHttpError(code, status, message);
}

/** Encrypts and uploads a file; answers its broker id, plaintext size and SHA-256. */
export async function uploadFile(
  brokerUrl: string,
  who: FileIdentity,
  input: UploadInput,
): Promise<UploadResult> {
  if (input.bytes.length > FILE_MAX_BYTES) {
    throw new BrokerHttpError("too_large", 413, `file too large (max 50 MiB): ${input.bytes.length} bytes`);
  }
  const fileKey = randomBytes(FILE_KEY_BYTES);
  const body = encryptFile(input.bytes, fileKey);
  const recipients = [...new Set([who.publicKey, ...input.recipients])];
  const keys = recipients.map((peerPubkey) => ({ peerPubkey, sealedKey: sealTo(fileKey, peerPubkey) }));
  if (input.meshDataKey !== undefined) {
    keys.push({
      peerPubkey: MESH_FILE_KEY,
      sealedKey: encryptValueString(toBase64(fileKey), input.meshDataKey),
    });
  }
  const url = new URL(`${brokerHttpBase(brokerUrl)}/upload`);
  const signed = signHttpRequest({
    method: "POST",
    target: url.pathname,
    meshId: who.meshId,
    pubkey: who.publicKey,
    secretKey: who.secretKey,
    body,
  });
  const headers: Record<string, string> = {
    ...signed.headers,
    "Content-Type": "application/octet-stream",
    "Content-Length": String(body.length),
    [UploadHeader.name]: encodeURIComponent(input.name),
    [UploadHeader.tags]: JSON.stringify(input.tags ?? []),
    [UploadHeader.persistent]: String(input.persistent ?? false),
    [UploadHeader.encrypted]: "true",
    [UploadHeader.ownerPubkey]: who.publicKey,
    [UploadHeader.fileKeys]: JSON.stringify(keys),
    ...(input.targetSpec ? { [UploadHeader.targetSpec]: input.targetSpec } : {}),
  };
  const res = await (input.transport ?? nodeTransport).upload(url, headers, body, input.onProgress);
  const answer = jsonOf(res.body) as { ok?: unknown; fileId?: unknown } | null;
  if (res.status !== 200 || typeof answer?.fileId !== "string") throw httpError(res.status, answer);
  return { fileId: answer.fileId, size: input.bytes.length, sha256: sha256Hex(input.bytes) };
}

/** The absolute address of a `file_url` URL (a path is resolved against the broker's HTTP base). */
export function resolveFileUrl(brokerUrl: string, url: string): URL {
  return /^https?:\/\//.test(url)
    ? new URL(url)
    : new URL(`${brokerHttpBase(brokerUrl)}${url.replace(/^.*?\/download\//, "/download/")}`);
}

/** The file key `get_file` answered: sealed to the member key, or under the mesh data key; null when it does not open. */
function openFileKey(sealedKey: string | undefined, member: FileReader): Uint8Array | null {
  if (sealedKey === undefined || sealedKey === "") return null;
  if (!isEncryptedValueString(sealedKey)) return sealOpen(sealedKey, member.publicKey, member.secretKey);
  const text = member.meshDataKey === undefined ? null : decryptValueString(sealedKey, member.meshDataKey);
  if (text === null) return null;
  try {
    const key = fromBase64(text);
    return key.length === FILE_KEY_BYTES ? key : null;
  } catch {
    // Opened, but not a key (an uploader's mistake or malice): the file cannot be opened.
    return null;
  }
}

/** Downloads, opens and checks the file a `get_file` answered with. */
export async function downloadFile(
  brokerUrl: string,
  reply: FileUrl,
  member: FileReader,
  onProgress?: TransferProgress,
  transport: FileTransport = nodeTransport,
): Promise<DownloadResult> {
  const url = resolveFileUrl(brokerUrl, reply.url);
  const res = await transport.download(url, encryptedBodySize(FILE_MAX_BYTES), onProgress);
  if (res.status !== 200) throw httpError(res.status, jsonOf(res.body));
  const body = res.body;
  const total = res.length ?? reply.size ?? 0;
  if (total > 0 && body.length !== total) {
    throw new MeshClientError(
      "invalid_reply",
      `the download was cut short (${body.length} of ${total} bytes); try again`,
    );
  }
  if (!reply.encrypted) return { bytes: body, sha256: sha256Hex(body) };
  const fileKey = openFileKey(reply.sealedKey, member);
  if (!fileKey) {
    throw new MeshClientError(
      "forbidden",
      "no decryption key for this file: the key sealed to you does not open",
    );
  }
  const bytes = decryptFile(body, fileKey);
  if (!bytes) {
    throw new MeshClientError(
      "decrypt_failed",
      "the downloaded file does not decrypt: it was changed or cut short on the way; try again",
    );
  }
  return { bytes, sha256: sha256Hex(bytes) };
}
