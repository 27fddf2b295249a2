import { createHash } from "node:crypto";

import { toBytes } from "./encoding.js";

/** SHA-256 of a string's UTF-8 bytes, or of raw bytes. */
export function sha256(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(toBytes(data)).digest());
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes, or of raw bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(toBytes(data)).digest("hex");
}
