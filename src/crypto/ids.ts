import { randomFillSync } from "node:crypto";

import { toHex } from "./encoding.js";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random bytes drawn from the system generator at once and handed out in small pieces, each once. */
const POOL_BYTES = 4_096;
let pool = new Uint8Array(0);
let poolOffset = 0;

/** `n` cryptographically random bytes (small requests come from a pool: one system call per 4 KiB). */
export function randomBytes(n: number): Uint8Array {
  if (n > POOL_BYTES / 8) return randomFillSync(new Uint8Array(n));
  if (poolOffset + n > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_BYTES));
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
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

/** `[A-Za-z0-9]` in code-point order, so fixed-width numbers written with it sort as the numbers do. */
const SORTED_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Characters of the time part: 62^8 ms reaches past the year 8000. */
const TIME_CHARS = 8;

/**
 * A broker message id (32 characters from `[A-Za-z0-9]`, protocol.md §0) that begins with the time `at`
 * (ms, fixed-width base 62) and ends with 24 random characters (142 bits). Ids made later sort later, so
 * the store's unique index on them grows at one end instead of at a random leaf per message: a batch of
 * messages dirties a few shared index pages, not one page each, for the write-ahead log to write. The
 * first 8 characters (the shortest prefix `message_status` accepts) still tell a sender's messages apart
 * unless two were accepted in one millisecond.
 */
export function timeOrderedMessageId(at = Date.now()): string {
  let time = "";
  let rest = Math.floor(at);
  if (!Number.isSafeInteger(rest) || rest < 0) {
    throw new RangeError(`message time must be a non-negative integer, got ${at}`);
  }
  for (let i = 0; i < TIME_CHARS; i++) {
    time = SORTED_ALPHANUMERIC[rest % 62]! + time;
    rest = Math.floor(rest / 62);
  }
  return time + randomString(ALPHANUMERIC, 32 - TIME_CHARS);
}

/**
 * A UUID of version 7 (RFC 9562): 48 bits of Unix time in ms, then 74 random bits. UUIDs made later sort
 * later, so what is keyed by them grows at one end: client message ids key the daemon's outbox and the
 * broker's idempotency records, where random UUIDs would put each message on an index page of its own.
 */
export function timeOrderedUuid(at = Date.now()): string {
  let time = Math.floor(at);
  if (!Number.isSafeInteger(time) || time < 0 || time >= 2 ** 48) {
    throw new RangeError(`UUID time must be a 48-bit non-negative integer, got ${at}`);
  }
  const bytes = randomBytes(16);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256;
    time = Math.floor(time / 256);
  }
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Lower-case hex of `bytes` random bytes (tokens, not keys). */
export function randomHexToken(bytes = 32): string {
  return toHex(randomBytes(bytes));
}
