import type { IncomingMessage, ServerResponse } from "node:http";
import { MAX_HTTP_BODY, parseJsonText } from "../../protocol/index.js";

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

export function fail(res: ServerResponse, status: number, error: string, message?: string): void {
  json(res, status, message ? { ok: false, error, message } : { ok: false, error });
}

export class BodyTooLarge extends Error {}

/** Reads the raw body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = MAX_HTTP_BODY): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function parseJsonObject(body: Buffer): Record<string, unknown> | null {
  try {
    const value = parseJsonText(body.toString("utf8") || "null");
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    // Malformed or too deeply nested JSON is reported by the caller as invalid_argument.
    return null;
  }
}
