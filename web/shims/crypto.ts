/**
 * The few `node:crypto` functions the shared modules of src/ use, for the browser: SHA-256 from
 * `@noble/hashes` (the Web Crypto digest is asynchronous, these callers are not; libsodium's standard
 * build has no SHA-256) and randomness from the Web Crypto API.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../../src/crypto/encoding.js";

type Digest = { digest(encoding: "hex"): string; digest(): Uint8Array };

export function createHash(algorithm: string): {
  update(data: string | Uint8Array, encoding?: "utf8"): { digest: Digest["digest"] };
} {
  if (algorithm !== "sha256") throw new Error(`hash ${algorithm} is not available in the browser`);
  return {
    update(data) {
      const hash = sha256(typeof data === "string" ? new TextEncoder().encode(data) : data);
      return {
        digest: ((encoding?: "hex") => (encoding === "hex" ? toHex(hash) : hash)) as Digest["digest"],
      };
    },
  };
}

export function randomFillSync<T extends Uint8Array>(buffer: T): T {
  crypto.getRandomValues(buffer);
  return buffer;
}
