/** Uploads for tests that need what the client never sends: a raw body, any headers, chunked or not. */
import { request } from "node:http";
import { signHttpRequest } from "../../src/client/signing.js";
import type { TestMember, TestMesh } from "./mesh-fixture.js";

/** A signed raw upload over node:http, chunked (no Content-Length) when `chunked`. */
export function rawUpload(
  b: { httpUrl: string },
  mesh: TestMesh,
  m: TestMember,
  body: Buffer,
  headers: Record<string, string>,
  chunked = false,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(`${b.httpUrl}/upload`);
  const signed = signHttpRequest({
    method: "POST",
    target: "/upload",
    meshId: mesh.meshId,
    pubkey: m.pubkey,
    secretKey: m.secretKey,
    body,
  });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          ...signed.headers,
          ...headers,
          ...(chunked ? { "Transfer-Encoding": "chunked" } : { "Content-Length": String(body.length) }),
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString() || "{}") }),
        );
      },
    );
    req.on("error", reject);
    for (let off = 0; off < body.length; off += 1024 * 1024) req.write(body.subarray(off, off + 1024 * 1024));
    req.end();
  });
}
