/**
 * The few `node:crypto` functions the shared modules of src/ use, for the browser: SHA-256 through
 * libsodium and randomness from the Web Crypto API.
 */
import { sodium } from "../../src/crypto/sodium.js";

type Digest = { digest(encoding: "hex"): string; digest(): Uint8Array };

export function createHash(algorithm: string): {
  update(data: string | Uint8Array, encoding?: "utf8"): { digest: Digest["digest"] };
} {
  if (algorithm !== "sha256") throw new Error(`hash ${algorithm} is not available in the browser`);
  return {
    update(data) {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      const hash = sodium.crypto_hash_sha256(bytes);
      return {
        digest: ((encoding?: "hex") => (encoding === "hex" ? sodium.to_hex(hash) : hash)) as Digest["digest"],
      };
    },
  };
}

export function randomFillSync<T extends Uint8Array>(buffer: T): T {
  crypto.getRandomValues(buffer);
  return buffer;
}
