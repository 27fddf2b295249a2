/**
 * Moving a file's encrypted bytes over HTTP with Node's client: the upload written in chunks so progress
 * can be told, the download streamed in with a cap. The encryption and the checks are file-transfer.ts's;
 * the web app moves the same bytes with the browser's own client.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { BrokerUnreachableError } from "./broker-http.js";
import { MeshClientError } from "./errors.js";

/** Told of bytes moved so far out of `total` (the encrypted body). */
export type TransferProgress = (done: number, total: number) => void;

/** An answer: its status, its whole body, and the length it announced (downloads). */
export interface TransferResponse {
  status: number;
  body: Uint8Array;
  length?: number | undefined;
}

export interface FileTransport {
  /** POSTs `body` with `headers`, telling `onProgress` as bytes go out. */
  upload(
    url: URL,
    headers: Record<string, string>,
    body: Uint8Array,
    onProgress?: TransferProgress,
  ): Promise<TransferResponse>;
  /** GETs `url`; a body larger than `maxBytes` is refused rather than held. */
  download(url: URL, maxBytes: number, onProgress?: TransferProgress): Promise<TransferResponse>;
}

const WRITE_CHUNK_BYTES = 256 * 1024;
const TRANSFER_TIMEOUT_MS = 120_000;

function requestFn(url: URL) {
  return url.protocol === "https:" ? httpsRequest : httpRequest;
}

function open(url: URL, options: RequestOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = requestFn(url)(url, { ...options, timeout: TRANSFER_TIMEOUT_MS }, resolve);
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err: NodeJS.ErrnoException) =>
      reject(new BrokerUnreachableError(url.origin, err.code ?? err.message)),
    );
    req.end();
  });
}

async function readAll(
  res: IncomingMessage,
  maxBytes: number,
  onProgress?: (received: number) => void,
): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let received = 0;
  for await (const chunk of res) {
    const buf = chunk as Buffer;
    received += buf.length;
    if (received > maxBytes) {
      res.destroy();
      throw new MeshClientError("invalid_reply", "the broker sent more than a file may hold");
    }
    parts.push(buf);
    onProgress?.(received);
  }
  return Buffer.concat(parts);
}

export const nodeTransport: FileTransport = {
  upload(url, headers, body, onProgress) {
    return new Promise((resolve, reject) => {
      const req = requestFn(url)(url, { method: "POST", headers, timeout: TRANSFER_TIMEOUT_MS }, (res) => {
        readAll(res, Number.MAX_SAFE_INTEGER).then(
          (answer) => resolve({ status: res.statusCode ?? 0, body: answer }),
          reject,
        );
      });
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
  },

  async download(url, maxBytes, onProgress) {
    const res = await open(url, { method: "GET" });
    const announced = res.headers["content-length"];
    const length = announced === undefined ? undefined : Number(announced);
    if (res.statusCode !== 200) {
      return { status: res.statusCode ?? 0, body: await readAll(res, 1024 * 1024) };
    }
    const body = await readAll(res, maxBytes, (received) => onProgress?.(received, length ?? 0));
    return { status: 200, body, length };
  },
};
