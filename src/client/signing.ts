/** Signing helpers that need both layers: canonical strings from `protocol`, signatures from `crypto`. */
import { sha256Hex, sign } from "../crypto/index.js";
import { SIGNED_HTTP_HEADERS, httpCanonical } from "../protocol/canonical.js";

export type SignedHttpHeaders = Record<
  (typeof SIGNED_HTTP_HEADERS)[keyof typeof SIGNED_HTTP_HEADERS],
  string
>;

export type SignedHttpRequest = {
  headers: SignedHttpHeaders;
  canonical: string;
  bodySha256: string;
  signature: string;
  timestamp: number;
};

/**
 * Signs an HTTP request to the broker (protocol.md §7.1) and returns the four `X-Claudemesh-*` headers.
 * `target` is the path and query exactly as they will be sent (behind a base path, include the prefix).
 */
export function signHttpRequest(f: {
  method: string;
  target: string;
  meshId: string;
  pubkey: string;
  secretKey: string;
  /** The raw body; none is the empty string. @default "" */
  body?: string | Uint8Array;
  /** @default Date.now() */
  timestamp?: number;
}): SignedHttpRequest {
  const timestamp = f.timestamp ?? Date.now();
  const bodySha256 = sha256Hex(f.body ?? "");
  const canonical = httpCanonical({
    method: f.method,
    target: f.target,
    meshId: f.meshId,
    pubkey: f.pubkey,
    timestamp,
    bodySha256,
  });
  const signature = sign(canonical, f.secretKey);
  return {
    headers: {
      [SIGNED_HTTP_HEADERS.mesh]: f.meshId,
      [SIGNED_HTTP_HEADERS.pubkey]: f.pubkey,
      [SIGNED_HTTP_HEADERS.timestamp]: String(timestamp),
      [SIGNED_HTTP_HEADERS.signature]: signature,
    },
    canonical,
    bodySha256,
    signature,
    timestamp,
  };
}
