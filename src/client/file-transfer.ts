/**
 * Moving file bytes to and from the broker (protocol.md §5.6, §7.2). Upload: a fresh 32-byte file key,
 * the body `nonce ‖ secretbox(bytes)`, the key sealed to each recipient's member key (and the owner's),
 * one signed `POST /upload`. Download: the `file_url` a `get_file` answered, streamed in, the sealed key
 * opened with the member key, decrypted and checked. Plaintext and keys never leave the machine.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import {
  FILE_KEY_BYTES,
  FILE_OVERHEAD_BYTES,
  decryptFile,
  encryptFile,
  randomBytes,
  sealOpen,
  sealTo,
  sha256Hex,
} from "../crypto/index.js";
import { FILE_MAX_BYTES, UploadHeader, type FileUrl } from "../protocol/index.js";
import { BrokerHttpError, BrokerUnreachableError, brokerHttpBase } from "./broker-http.js";
import { MeshClientError } from "./errors.js";
import { signHttpRequest } from "./signing.js";

/** Told of bytes moved so far out of `total` (the encrypted body). */
export type TransferProgress = (done: number, total: number) => void;

/** Who signs an upload, and whose key opens a download: a member's key pair. */
export interface FileIdentity {
  meshId: string;
  publicKey: string;
  secretKey: string;
}

export interface UploadInput {
  bytes: Uint8Array;
  name: string;
  /** Member pubkeys the key is sealed to; the owner's own is added. */
  recipients: readonly string[];
  /** `X-Target-Spec`: set when the file is for named recipients only. */
  targetSpec?: string;
  tags?: readonly string[];
  persistent?: boolean;
  onProgress?: TransferProgress;
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

/** Largest plaintext an upload may carry: the limit less the nonce and MAC. */
export const FILE_MAX_PLAINTEXT_BYTES = FILE_MAX_BYTES - FILE_OVERHEAD_BYTES;

const WRITE_CHUNK_BYTES = 256 * 1024;
const TRANSFER_TIMEOUT_MS = 120_000;

function requestFn(url: URL) {
  return url.protocol === "https:" ? httpsRequest : httpRequest;
}

async function readJson(res: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const chunk of res) parts.push(chunk as Buffer);
  const text = Buffer.concat(parts).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
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

/** Sends `body` with its length, in chunks, telling `onProgress`; resolves to the response. */
function send(
  url: URL,
  options: RequestOptions,
  body: Uint8Array,
  onProgress?: TransferProgress,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = requestFn(url)(url, { ...options, timeout: TRANSFER_TIMEOUT_MS }, resolve);
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err: NodeJS.ErrnoException) =>
      reject(new BrokerUnreachableError(url.origin, err.code ?? err.message)),
    );
    let offset = 0;
    const writeMore = (): void => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + WRITE_CHUNK_BYTES);
        offset += chunk.length;
        const sent = offset;
        const flushed = req.write(chunk, () => onProgress?.(sent, body.length));
        if (!flushed) {
          req.once("drain", writeMore);
          return;
        }
      }
      req.end();
    };
    writeMore();
  });
}

/** Encrypts and uploads a file; answers its broker id, plaintext size and SHA-256. */
export async function uploadFile(
  brokerUrl: string,
  who: FileIdentity,
  input: UploadInput,
): Promise<UploadResult> {
  if (input.bytes.length > FILE_MAX_PLAINTEXT_BYTES) {
    throw new BrokerHttpError("too_large", 413, `file too large (max 50 MiB): ${input.bytes.length} bytes`);
  }
  const fileKey = randomBytes(FILE_KEY_BYTES);
  const body = encryptFile(input.bytes, fileKey);
  const recipients = [...new Set([who.publicKey, ...input.recipients])];
  const keys = recipients.map((peerPubkey) => ({ peerPubkey, sealedKey: sealTo(fileKey, peerPubkey) }));
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
  const res = await send(url, { method: "POST", headers }, body, input.onProgress);
  const answer = (await readJson(res)) as { ok?: unknown; fileId?: unknown } | null;
  if (res.statusCode !== 200 || typeof answer?.fileId !== "string")
    throw httpError(res.statusCode ?? 0, answer);
  return { fileId: answer.fileId, size: input.bytes.length, sha256: sha256Hex(input.bytes) };
}

/** The absolute address of a `file_url` URL (a path is resolved against the broker's HTTP base). */
export function resolveFileUrl(brokerUrl: string, url: string): URL {
  return /^https?:\/\//.test(url)
    ? new URL(url)
    : new URL(`${brokerHttpBase(brokerUrl)}${url.replace(/^.*?\/download\//, "/download/")}`);
}

/** Downloads, opens and checks the file a `get_file` answered with. */
export async function downloadFile(
  brokerUrl: string,
  reply: FileUrl,
  member: Pick<FileIdentity, "publicKey" | "secretKey">,
  onProgress?: TransferProgress,
): Promise<DownloadResult> {
  const url = resolveFileUrl(brokerUrl, reply.url);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = requestFn(url)(url, { method: "GET", timeout: TRANSFER_TIMEOUT_MS }, resolve);
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err: NodeJS.ErrnoException) =>
      reject(new BrokerUnreachableError(url.origin, err.code ?? err.message)),
    );
    req.end();
  });
  if (res.statusCode !== 200) throw httpError(res.statusCode ?? 0, await readJson(res));
  const total = Number(res.headers["content-length"] ?? reply.size ?? 0);
  const parts: Buffer[] = [];
  let received = 0;
  for await (const chunk of res) {
    const buf = chunk as Buffer;
    received += buf.length;
    if (received > FILE_MAX_BYTES) {
      res.destroy();
      throw new MeshClientError("invalid_reply", "the broker sent more than a file may hold");
    }
    parts.push(buf);
    onProgress?.(received, total);
  }
  const body = Buffer.concat(parts);
  if (total > 0 && body.length !== total) {
    throw new MeshClientError(
      "invalid_reply",
      `the download was cut short (${body.length} of ${total} bytes); try again`,
    );
  }
  if (!reply.encrypted) return { bytes: body, sha256: sha256Hex(body) };
  const fileKey = reply.sealedKey ? sealOpen(reply.sealedKey, member.publicKey, member.secretKey) : null;
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
