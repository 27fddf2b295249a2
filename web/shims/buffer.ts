/**
 * The little of Node's `Buffer` the shared modules of src/ use (hex, base64, base64url and UTF-8 text of
 * bytes, `concat`, `byteLength`), injected by the bundler for the browser. A full polyfill would cost the
 * page more than the rest of the client core.
 */
type Encoding = "hex" | "base64" | "base64url" | "utf8" | "utf-8";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Lenient like Node's: stops at the first character outside the alphabet; padding optional. */
function fromBase64(text: string): Uint8Array {
  const clean = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .replace(/[^A-Za-z0-9+/].*$/s, "");
  const cut = clean.length % 4 === 1 ? clean.slice(0, -1) : clean;
  const binary = atob(cut + "=".repeat((4 - (cut.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const byte = parseInt(text.slice(i * 2, i * 2 + 2), 16);
    if (Number.isNaN(byte)) return out.slice(0, i);
    out[i] = byte;
  }
  return out;
}

/** Bytes whose `toString` takes an encoding, as a Node Buffer's does. */
class Bytes extends Uint8Array {
  override toString(encoding: Encoding = "utf8"): string {
    if (encoding === "hex") return Array.from(this, (b) => b.toString(16).padStart(2, "0")).join("");
    if (encoding === "base64") return toBase64(this);
    if (encoding === "base64url")
      return toBase64(this).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    return decoder.decode(this);
  }
}

export const Buffer = {
  from(
    value: string | ArrayBuffer | ArrayLike<number>,
    encodingOrOffset?: Encoding | number,
    length?: number,
  ): Bytes {
    if (typeof value === "string") {
      const encoding = (encodingOrOffset ?? "utf8") as Encoding;
      const bytes =
        encoding === "hex"
          ? fromHex(value)
          : encoding === "base64" || encoding === "base64url"
            ? fromBase64(value)
            : encoder.encode(value);
      return new Bytes(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
    }
    if (value instanceof ArrayBuffer) {
      const offset = typeof encodingOrOffset === "number" ? encodingOrOffset : 0;
      return new Bytes(value, offset, length ?? value.byteLength - offset);
    }
    const copy = new Bytes(value.length);
    copy.set(value);
    return copy;
  },

  concat(parts: readonly Uint8Array[]): Bytes {
    const out = new Bytes(parts.reduce((sum, p) => sum + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  },

  byteLength(text: string): number {
    return encoder.encode(text).length;
  },
};
