/** Encrypted file bodies (protocol.md §5.6): 24-byte nonce ‖ crypto_secretbox_easy(bytes, nonce, fileKey). */
import { randomBytes } from "./ids.js";
import { SECRETBOX_MAC_BYTES, SECRETBOX_NONCE_BYTES, secretboxOpen, secretboxSeal } from "./secretbox.js";

export const FILE_KEY_BYTES = 32;
/** Bytes an encrypted upload adds to the file: nonce plus MAC. */
export const FILE_OVERHEAD_BYTES = SECRETBOX_NONCE_BYTES + SECRETBOX_MAC_BYTES;

/** The size of the upload body that carries a file of `fileBytes`, encrypted. */
export function encryptedBodySize(fileBytes: number): number {
  return fileBytes + FILE_OVERHEAD_BYTES;
}

/** The size of a shared file, from the bytes the broker stores for it (an encrypted body holds 40 more). */
export function sharedFileSize(storedBytes: number, encrypted: boolean): number {
  return encrypted ? Math.max(0, storedBytes - FILE_OVERHEAD_BYTES) : storedBytes;
}

/** The upload body for `bytes` under `fileKey`. `nonce` defaults to 24 random bytes. */
export function encryptFile(
  bytes: Uint8Array,
  fileKey: Uint8Array,
  nonce: Uint8Array = randomBytes(SECRETBOX_NONCE_BYTES),
): Uint8Array {
  const sealed = secretboxSeal(bytes, fileKey, nonce);
  const out = new Uint8Array(nonce.length + sealed.length);
  out.set(nonce, 0);
  out.set(sealed, nonce.length);
  return out;
}

/** The file bytes of an upload body, or null when it is too short, tampered or under another key. */
export function decryptFile(body: Uint8Array, fileKey: Uint8Array): Uint8Array | null {
  if (body.length < FILE_OVERHEAD_BYTES) return null;
  return secretboxOpen(
    body.subarray(SECRETBOX_NONCE_BYTES),
    body.subarray(0, SECRETBOX_NONCE_BYTES),
    fileKey,
  );
}
