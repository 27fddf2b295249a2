/** Byte ↔ text encodings of protocol.md §0. Decoders are strict and throw on malformed input. */

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const LOWER_HEX = /^[0-9a-f]*$/;
/** With a length that is a multiple of 4, exactly padded base64 (the groups' regex is slower on long input). */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Copies out of a (possibly pooled) Buffer so callers get a plain, unshared Uint8Array. */
function copy(buf: Buffer): Uint8Array {
  return new Uint8Array(buf);
}

export function toHex(bytes: Uint8Array): string {
  return view(bytes).toString("hex");
}

/** Decodes hex (either case). Throws on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  if (!HEX.test(hex)) throw new Error("invalid hex string");
  return copy(Buffer.from(hex, "hex"));
}

/** True when `s` is lower-case hex; with `lengthInChars`, also exactly that long. */
export function isHex(s: unknown, lengthInChars?: number): s is string {
  if (typeof s !== "string") return false;
  if (lengthInChars === undefined ? s.length % 2 !== 0 : s.length !== lengthInChars) return false;
  return LOWER_HEX.test(s);
}

/** Standard base64 with padding (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  return view(bytes).toString("base64");
}

/** Decodes standard, padded base64. Throws on anything else (URL-safe alphabet, missing padding, spaces). */
export function fromBase64(s: string): Uint8Array {
  if (s.length % 4 !== 0 || !BASE64.test(s)) throw new Error("invalid base64 string");
  return copy(Buffer.from(s, "base64"));
}

/** URL-safe base64 without padding (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  return view(bytes).toString("base64url");
}

/** Decodes URL-safe base64 without padding. Throws on padding, the standard alphabet or a bad length. */
export function fromBase64Url(s: string): Uint8Array {
  if (!BASE64URL.test(s) || s.length % 4 === 1) throw new Error("invalid base64url string");
  return copy(Buffer.from(s, "base64url"));
}

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes UTF-8, replacing invalid sequences with U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Decodes UTF-8, or returns null when the bytes are not valid UTF-8. */
export function fromUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** `Uint8Array` as is, strings as their UTF-8 bytes. */
export function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}
