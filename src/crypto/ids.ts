import { randomFillSync } from "node:crypto";

import { toHex } from "./encoding.js";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `n` cryptographically random bytes. */
export function randomBytes(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n));
}

/**
 * A uniformly random string of `length` characters from `alphabet` (2–256 distinct characters). Bytes
 * that would bias the result (the tail above the largest multiple of the alphabet size) are rejected.
 */
export function randomString(alphabet: string, length: number): string {
  const size = alphabet.length;
  if (size < 2 || size > 256) throw new RangeError("alphabet must have 2 to 256 characters");
  const limit = 256 - (256 % size);
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(Math.max(16, (length - out.length) * 2))) {
      if (byte >= limit) continue;
      out += alphabet[byte % size];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A broker message id: exactly 32 characters from `[A-Za-z0-9]` (protocol.md §0). */
export function randomMessageId(): string {
  return randomString(ALPHANUMERIC, 32);
}

/** Lower-case hex of `bytes` random bytes (tokens, not keys). */
export function randomHexToken(bytes = 32): string {
  return toHex(randomBytes(bytes));
}
