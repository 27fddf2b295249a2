/**
 * What our clients encrypt of the shared families before it leaves the machine (protocol.md §5.8), all
 * under the mesh data key: state values as JSON-value envelopes; texts (context summaries, files and
 * findings, memory contents, skill instructions, task titles and results) as `cm:enc1:` strings. The
 * one place these envelopes are made and opened. Reading accepts plaintext too (reference clients write
 * it) and leaves an envelope it cannot open as it is, flagged, so a caller can say so instead of failing.
 */
import { dataKey } from "../crypto/kdf.js";
import {
  decryptJsonValue,
  decryptValueString,
  encryptJsonValue,
  encryptValueString,
  isEncryptedJsonValue,
  isEncryptedValueString,
} from "../crypto/values.js";

/** A value read back: the plaintext, whether it had been encrypted, and whether it would not open. */
export interface Opened<T> {
  value: T;
  encrypted: boolean;
  /** An envelope this key does not open (another mesh's key, or damaged): `value` is the envelope. */
  undecryptable: boolean;
}

/** The data key of a mesh root key (cache it: derivation hashes). */
export function meshDataKey(rootKey: Uint8Array): Uint8Array {
  return dataKey(rootKey);
}

export function sealStateValue(value: unknown, key: Uint8Array): unknown {
  return encryptJsonValue(value, key);
}

export function openStateValue(value: unknown, key: Uint8Array): Opened<unknown> {
  if (!isEncryptedJsonValue(value)) return { value, encrypted: false, undecryptable: false };
  const opened = decryptJsonValue(value, key);
  return opened === null
    ? { value, encrypted: true, undecryptable: true }
    : { value: opened.value, encrypted: true, undecryptable: false };
}

export function sealText(text: string, key: Uint8Array): string {
  return encryptValueString(text, key);
}

export function openText(text: string, key: Uint8Array): Opened<string> {
  if (!isEncryptedValueString(text)) return { value: text, encrypted: false, undecryptable: false };
  const opened = decryptValueString(text, key);
  return opened === null
    ? { value: text, encrypted: true, undecryptable: true }
    : { value: opened, encrypted: true, undecryptable: false };
}

/** Whether `text` is a `cm:enc1:` envelope (it may still not open). */
export function isSealedText(text: string): boolean {
  return isEncryptedValueString(text);
}

/** What a reader is shown for an envelope the mesh's key does not open. */
export const UNREADABLE_TEXT = "[encrypted with a key this mesh does not have]";

/** A stored text as a reader sees it: opened, as it is (plaintext), or {@link UNREADABLE_TEXT}. */
export function readText(stored: string, key: Uint8Array): string {
  const opened = openText(stored, key);
  return opened.undecryptable ? UNREADABLE_TEXT : opened.value;
}
