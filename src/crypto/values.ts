/**
 * Encrypted shared-state values (protocol.md §5.8), under the data key: strings as
 * `cm:enc1:<nonce b64>:<ciphertext b64>`, JSON values as `{"$cm":"enc1","n":<nonce b64>,"c":<ciphertext b64>}`
 * whose plaintext is the UTF-8 of `JSON.stringify(value)`.
 */
import { fromUtf8Strict } from "./encoding.js";
import { randomBytes } from "./ids.js";
import { SECRETBOX_NONCE_BYTES, secretboxDecrypt, secretboxEncrypt } from "./secretbox.js";

export const VALUE_STRING_PREFIX = "cm:enc1:";

export type EncryptedJsonValue = { $cm: "enc1"; n: string; c: string };

/** True when `value` looks like an encrypted string value (it may still fail to decrypt). */
export function isEncryptedValueString(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(VALUE_STRING_PREFIX);
}

export function encryptValueString(
  plaintext: string,
  dataKey: Uint8Array,
  nonce: Uint8Array = randomBytes(SECRETBOX_NONCE_BYTES),
): string {
  const box = secretboxEncrypt(plaintext, dataKey, nonce);
  return `${VALUE_STRING_PREFIX}${box.nonce}:${box.ciphertext}`;
}

/** The plaintext of a `cm:enc1:` string, or null when it is not one or does not open. Never throws. */
export function decryptValueString(envelope: string, dataKey: Uint8Array): string | null {
  if (!isEncryptedValueString(envelope)) return null;
  const parts = envelope.slice(VALUE_STRING_PREFIX.length).split(":");
  if (parts.length !== 2) return null;
  const [nonce = "", ciphertext = ""] = parts;
  const bytes = secretboxDecrypt(ciphertext, nonce, dataKey);
  return bytes === null ? null : fromUtf8Strict(bytes);
}

/** True when `value` has the shape of an encrypted JSON value (it may still fail to decrypt). */
export function isEncryptedJsonValue(value: unknown): value is EncryptedJsonValue {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return record.$cm === "enc1" && typeof record.n === "string" && typeof record.c === "string";
}

/** Encrypts any JSON-serialisable value. Throws when `value` has no JSON text (e.g. `undefined`). */
export function encryptJsonValue(
  value: unknown,
  dataKey: Uint8Array,
  nonce: Uint8Array = randomBytes(SECRETBOX_NONCE_BYTES),
): EncryptedJsonValue {
  const json: unknown = JSON.stringify(value);
  if (typeof json !== "string") throw new Error("value has no JSON representation");
  const box = secretboxEncrypt(json, dataKey, nonce);
  return { $cm: "enc1", n: box.nonce, c: box.ciphertext };
}

/**
 * Decrypts an encrypted JSON value. Returns `{ value }` (which may itself be `null`), or null when the
 * envelope is malformed, does not open, or is not JSON. Never throws.
 */
export function decryptJsonValue(envelope: unknown, dataKey: Uint8Array): { value: unknown } | null {
  if (!isEncryptedJsonValue(envelope)) return null;
  const bytes = secretboxDecrypt(envelope.c, envelope.n, dataKey);
  const text = bytes === null ? null : fromUtf8Strict(bytes);
  if (text === null) return null;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return null; // opened, but not JSON: not something our clients made
  }
}
