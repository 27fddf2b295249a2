/**
 * Invite links (protocol.md §7.3, cli.md `invite` / `join`):
 *
 * - `claudemesh://join/<host[:port][/base-path]>/<code>[?tls=0]#<secret>` — the broker is
 *   `wss://<host[:port][/base-path]>/ws`, or `ws://…` with `tls=0` (loopback and test brokers);
 * - `https://<public url>/join/<code>#<secret>` — the broker is `wss://<public url>/ws` (`ws://` for http).
 *
 * `<secret>` is the 32-byte invite secret in base64url without padding. It is never sent to the broker.
 */
import { INVITE_CODE_ALPHABET, INVITE_CODE_LENGTH, WS_PATH } from "./constants.js";

export const INVITE_LINK_PREFIX = "claudemesh://join/";
const SECRET_BYTES = 32;
const SECRET_TEXT = /^[A-Za-z0-9_-]{43}$/;
const CODE = new RegExp(`^[${INVITE_CODE_ALPHABET}]{${INVITE_CODE_LENGTH}}$`);
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

export type InviteLink = {
  /** Where to connect: `wss://host[:port][/base-path]/ws` (or `ws://` without TLS). */
  brokerUrl: string;
  /** `host[:port]` of the broker. */
  host: string;
  /** Path prefix in front of `/ws` and the HTTP routes: `""` or `/something`. */
  basePath: string;
  tls: boolean;
  code: string;
  /** The 32 raw secret bytes. */
  secret: Uint8Array;
};

/** Thrown for a link that cannot be used; the message says what is wrong with it. */
export class InviteLinkError extends Error {
  override readonly name = "InviteLinkError";
}

function secretText(secret: Uint8Array | string): string {
  if (typeof secret === "string") {
    decodeSecret(secret);
    return secret;
  }
  if (secret.length !== SECRET_BYTES)
    throw new InviteLinkError(`invite secret must be ${SECRET_BYTES} bytes`);
  return Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength).toString("base64url");
}

function decodeSecret(text: string): Uint8Array {
  const trimmed = text.replace(/=+$/, "");
  if (!SECRET_TEXT.test(trimmed)) {
    throw new InviteLinkError(
      "The secret part of this invite link (after '#') is damaged: expected 43 base64url characters. " +
        "Copy the whole link again.",
    );
  }
  return new Uint8Array(Buffer.from(trimmed, "base64url"));
}

function normalizeCode(code: string): string {
  const upper = code.toUpperCase();
  if (!CODE.test(upper)) {
    throw new InviteLinkError(
      `"${code}" is not an invite code: expected ${INVITE_CODE_LENGTH} characters from ${INVITE_CODE_ALPHABET}`,
    );
  }
  return upper;
}

function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `/${trimmed}`;
}

function checkHost(host: string): string {
  if (!HOST.test(host)) throw new InviteLinkError(`"${host}" is not a broker host[:port]`);
  return host;
}

function brokerUrl(tls: boolean, host: string, basePath: string): string {
  return `${tls ? "wss" : "ws"}://${host}${basePath}${WS_PATH}`;
}

/** `claudemesh://join/<host[:port][/base-path]>/<code>[?tls=0]#<secret>`. */
export function formatInviteLink(f: {
  host: string;
  code: string;
  secret: Uint8Array | string;
  /** @default true */
  tls?: boolean;
  /** @default "" */
  basePath?: string;
}): string {
  const query = f.tls === false ? "?tls=0" : "";
  const path = `${checkHost(f.host)}${normalizeBasePath(f.basePath ?? "")}`;
  return `${INVITE_LINK_PREFIX}${path}/${normalizeCode(f.code)}${query}#${secretText(f.secret)}`;
}

/** `https://<public url>/join/<code>#<secret>` for a broker with a public URL (e.g. `https://mesh.example.com`). */
export function formatPublicInviteLink(f: {
  publicUrl: string;
  code: string;
  secret: Uint8Array | string;
}): string {
  let url: URL;
  try {
    url = new URL(f.publicUrl);
  } catch {
    throw new InviteLinkError(`"${f.publicUrl}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new InviteLinkError(`public URL must be http(s), got "${f.publicUrl}"`);
  }
  const base = `${url.origin}${normalizeBasePath(url.pathname)}`;
  return `${base}/join/${normalizeCode(f.code)}#${secretText(f.secret)}`;
}

/** The `claudemesh://` link for a broker WebSocket URL such as `ws://127.0.0.1:7900/ws`. */
export function inviteLinkForBroker(f: {
  brokerUrl: string;
  code: string;
  secret: Uint8Array | string;
}): string {
  let url: URL;
  try {
    url = new URL(f.brokerUrl);
  } catch {
    throw new InviteLinkError(`"${f.brokerUrl}" is not a URL`);
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new InviteLinkError(`broker URL must be ws:// or wss://, got "${f.brokerUrl}"`);
  }
  const path = url.pathname.endsWith(WS_PATH) ? url.pathname.slice(0, -WS_PATH.length) : url.pathname;
  return formatInviteLink({
    host: url.host,
    basePath: path,
    tls: url.protocol === "wss:",
    code: f.code,
    secret: f.secret,
  });
}

function splitSecret(link: string): { head: string; secret: Uint8Array } {
  const hash = link.indexOf("#");
  if (hash < 0 || hash === link.length - 1) {
    throw new InviteLinkError(
      "This invite link is incomplete: the secret part after '#' is missing, and it is needed to join " +
        "(it never goes to the broker). Copy the whole link, including everything after the '#'.",
    );
  }
  return { head: link.slice(0, hash), secret: decodeSecret(link.slice(hash + 1)) };
}

function parseTls(query: string): boolean {
  const value = new URLSearchParams(query).get("tls");
  if (value === null || value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new InviteLinkError(`invite link has tls=${value}; expected tls=0 or no tls parameter`);
}

function parseCustomScheme(head: string, secret: Uint8Array): InviteLink {
  const rest = head.slice(INVITE_LINK_PREFIX.length);
  const q = rest.indexOf("?");
  const path = q < 0 ? rest : rest.slice(0, q);
  const tls = parseTls(q < 0 ? "" : rest.slice(q + 1));
  const segments = path.split("/").filter((segment) => segment !== "");
  if (segments.length < 2) {
    throw new InviteLinkError("invite link must look like claudemesh://join/<host[:port]>/<code>#<secret>");
  }
  const host = checkHost(segments[0] ?? "");
  const code = normalizeCode(segments[segments.length - 1] ?? "");
  const basePath = normalizeBasePath(segments.slice(1, -1).join("/"));
  return { brokerUrl: brokerUrl(tls, host, basePath), host, basePath, tls, code, secret };
}

function parseWebLink(head: string, secret: Uint8Array): InviteLink {
  let url: URL;
  try {
    url = new URL(head);
  } catch {
    throw new InviteLinkError(
      "not an invite link: expected claudemesh://join/… or https://…/join/<code>#<secret>",
    );
  }
  const match = /^(.*)\/join\/([^/]+)\/?$/.exec(url.pathname);
  if (match === null) {
    throw new InviteLinkError(
      "not an invite link: the web form is https://<public url>/join/<code>#<secret>",
    );
  }
  const tls = url.protocol === "https:";
  const basePath = normalizeBasePath(match[1] ?? "");
  const code = normalizeCode(match[2] ?? "");
  return { brokerUrl: brokerUrl(tls, url.host, basePath), host: url.host, basePath, tls, code, secret };
}

/** Parses either invite-link form. Throws {@link InviteLinkError} with a message fit for a user. */
export function parseInviteLink(link: string): InviteLink {
  const trimmed = link.trim();
  const lower = trimmed.toLowerCase();
  const custom = lower.startsWith(INVITE_LINK_PREFIX);
  if (!custom && !lower.startsWith("https://") && !lower.startsWith("http://")) {
    throw new InviteLinkError(
      "not an invite link: expected claudemesh://join/<host>/<code>#<secret> or https://<host>/join/<code>#<secret>",
    );
  }
  const { head, secret } = splitSecret(trimmed);
  return custom ? parseCustomScheme(head, secret) : parseWebLink(head, secret);
}
