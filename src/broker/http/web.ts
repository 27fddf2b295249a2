/**
 * The web app's static files (built into `dist/web` by `npm run build`), served by the broker itself:
 * `index.html` at `/` and `/join/<code>`, the bundle under `/assets/`. Every answer carries a strict
 * Content-Security-Policy: scripts and styles only from this origin (WebAssembly compilation for
 * libsodium is the one allowance), connections only back to this origin (its `/ws` included), no inline
 * script, no frames, no plugins. Only regular files directly inside `assets/` are served, by name, in
 * the precompressed form the browser accepts (`.br`, `.gz`, made by the build) where there is one.
 * Chunks named by their content hash are cached for good; `app.js`, its stylesheet and the page are
 * revalidated.
 */
import { readFile, stat } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fail } from "./respond.js";

/** `dist/web`, from this module's place in `dist/src/broker/http/`. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../../web/", import.meta.url));

export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** A file name the app may ask for under `/assets/`: no separators, no leading dot, a known type. */
const ASSET = /^\/assets\/([A-Za-z0-9_-][A-Za-z0-9._-]{0,127})$/;
/** The pages that are the app: `/` and `/join/<code>` (the secret stays after `#`, never sent). */
const PAGE = /^\/(?:join\/[A-Za-z0-9]{1,16}\/?)?$/;

function typeOf(name: string): string | undefined {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? undefined : CONTENT_TYPES[name.slice(dot)];
}

function securityHeaders(): Record<string, string> {
  return {
    "Content-Security-Policy": WEB_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
}

/** Precompressed forms, best first, with the token `Accept-Encoding` names them by. */
const ENCODINGS = [
  { token: "br", suffix: ".br" },
  { token: "gzip", suffix: ".gz" },
] as const;

/** Whether `accept` (an `Accept-Encoding` value) takes `token` (not listed with `q=0`). */
function accepts(accept: string, token: string): boolean {
  return accept.split(",").some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    return name === token && !params.some((p) => /^\s*q=0(?:\.0*)?\s*$/.test(p));
  });
}

/** The file to send for `file`: its precompressed form the browser accepts, else itself. */
async function variantOf(
  file: string,
  accept: string,
): Promise<{ body: Buffer; encoding: string | null } | null> {
  for (const { token, suffix } of ENCODINGS) {
    if (!accepts(accept, token)) continue;
    const body = await readFile(file + suffix).catch(() => null);
    if (body !== null) return { body, encoding: token };
  }
  const body = await readFile(file).catch(() => null);
  return body === null ? null : { body, encoding: null };
}

/** True when `path` is the web app's; it has then been answered. */
export async function serveWeb(
  webRoot: string,
  method: string,
  path: string,
  acceptEncoding: string | undefined,
  res: ServerResponse,
): Promise<boolean> {
  if (method !== "GET" && method !== "HEAD") return false;
  let file: string;
  let cache: string;
  if (PAGE.test(path)) {
    file = join(webRoot, "index.html");
    cache = "no-cache";
  } else {
    const asset = ASSET.exec(path);
    if (!asset) return false;
    file = join(webRoot, "assets", asset[1]!);
    cache = asset[1]!.startsWith("chunk-") ? "public, max-age=31536000, immutable" : "no-cache";
  }
  const type = typeOf(file);
  const info = type ? await stat(file).catch(() => null) : null;
  if (!type || !info?.isFile()) {
    fail(res, 404, "not_found", PAGE.test(path) ? "the web app is not built (npm run build)" : undefined);
    return true;
  }
  const sent = await variantOf(file, acceptEncoding ?? "");
  if (sent === null) {
    fail(res, 404, "not_found");
    return true;
  }
  res.writeHead(200, {
    "Content-Type": type,
    "Content-Length": sent.body.length,
    "Cache-Control": cache,
    Vary: "Accept-Encoding",
    ...(sent.encoding === null ? {} : { "Content-Encoding": sent.encoding }),
    ...securityHeaders(),
  });
  res.end(method === "HEAD" ? undefined : sent.body);
  return true;
}
