/**
 * The browser's way of moving a file's encrypted bytes (the `FileTransport` of src/client): XMLHttpRequest,
 * because it is the one browser client that reports upload progress. Encryption, signing and checks are
 * the shared file-transfer module's.
 */
import type { FileTransport, TransferResponse } from "../../src/client/node-transport.js";

function exchange(
  method: "GET" | "POST",
  url: URL,
  headers: Record<string, string>,
  body: Uint8Array | null,
  onProgress: ((done: number, total: number) => void) | undefined,
  maxBytes: number,
): Promise<TransferResponse> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url.href);
    xhr.responseType = "arraybuffer";
    // The browser sets these itself and refuses them from a page.
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() !== "content-length") xhr.setRequestHeader(name, value);
    }
    const progress = (event: ProgressEvent): void => {
      if (event.loaded > maxBytes) xhr.abort();
      else onProgress?.(event.loaded, event.lengthComputable ? event.total : 0);
    };
    if (method === "POST") xhr.upload.onprogress = progress;
    else xhr.onprogress = progress;
    xhr.onload = () => {
      const length = xhr.getResponseHeader("content-length");
      resolve({
        status: xhr.status,
        body: new Uint8Array(xhr.response as ArrayBuffer),
        length: length === null ? undefined : Number(length),
      });
    };
    xhr.onerror = () => reject(new Error(`the broker at ${url.origin} could not be reached`));
    xhr.onabort = () => reject(new Error("the broker sent more than a file may hold"));
    xhr.ontimeout = () => reject(new Error("the transfer timed out"));
    xhr.timeout = 120_000;
    xhr.send(body === null ? null : new Blob([body as Uint8Array<ArrayBuffer>]));
  });
}

export const browserTransport: FileTransport = {
  upload: (url, headers, body, onProgress) => exchange("POST", url, headers, body, onProgress, Infinity),
  download: (url, maxBytes, onProgress) => exchange("GET", url, {}, null, onProgress, maxBytes),
};
