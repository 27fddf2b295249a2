/**
 * Invite links (protocol.md §7.3, cli.md `invite` / `join`):
 *
 * - `claudemesh://join/<host[:port][/base-path]>/<code>[?tls=0]#<secret>` — the broker is
 *   `wss://<host[:port][/base-path]>/ws`, or `ws://…` with `tls=0` (loopback and test brokers);
 * - `https://<public url>/join/<code>#<secret>` — the broker is `wss://<public url>/ws` (`ws://` for http).
 *
 * [ours] Further nodes of a broker cluster follow the code as repeated `broker=<host[:port][/base-path]>`
 * query parameters (same `tls` as the primary): `…/<code>?tls=0&broker=b:7900&broker=c:7900#<secret>`.
 * A link for one broker carries none, so it is exactly the older form, and an older client that ignores
 * the parameter still joins through the primary.
 *
 * `<secret>` is the 32-byte invite secret in base64url without padding. It is never sent to the broker.
 */
import { brokerUrlListProblem } from "./broker-urls.js";
import { INVITE_CODE_ALPHABET, INVITE_CODE_LENGTH, MAX_BROKER_URLS, WS_PATH } from "./constants.js";

export const INVITE_LINK_PREFIX = "claudemesh://join/";
const SECRET_BYTES = 32;
const SECRET_TEXT = /^[A-Za-z0-9_-]{43}$/;
const CODE = new RegExp(`^[${INVITE_CODE_ALPHABET}]{${INVITE_CODE_LENGTH}}$`);
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;
/**
 * A base-path segment of a further broker: characters that stand for themselves in a query value, so
 * nothing ends it (`&`, `#`) and nothing decodes differently (`%`, `+`).
 */
const PATH_SEGMENT = /^[A-Za-z0-9._~!$'()*,;=:@-]+$/;
/** The query parameter naming one further broker node. */
const BROKER_PARAM = "broker";

export type InviteLink = {
  /** Where to connect: `wss://host[:port][/base-path]/ws` (or `ws://` without TLS). */
  brokerUrl: string;
  /** Every broker node the link names, `brokerUrl` first; `[brokerUrl]` for a single broker. */
  brokerUrls: string[];
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

/** Checks one `host[:port][/base-path]` value of a `broker=` parameter and returns it normalized. */
function checkExtraBroker(address: string): { host: string; basePath: string } {
  const [host = "", ...segments] = address.split("/");
  const path = segments.filter((segment) => segment !== "");
  if (!HOST.test(host) || !path.every((segment) => PATH_SEGMENT.test(segment))) {
    throw new InviteLinkError(
      `invite link names a bad further broker "${address}": expected host[:port][/base-path]. ` +
        "Copy the whole link again.",
    );
  }
  return { host, basePath: normalizeBasePath(path.join("/")) };
}

/** The primary broker URL followed by the `broker=` nodes, checked as one list (no duplicates). */
function brokerList(primary: string, tls: boolean, extra: readonly string[]): string[] {
  const urls = [
    primary,
    ...extra.map((address) => {
      const { host, basePath } = checkExtraBroker(address);
      return brokerUrl(tls, host, basePath);
    }),
  ];
  const problem = brokerUrlListProblem(urls);
  if (problem !== null) throw new InviteLinkError(`invite link ${problem}`);
  return urls;
}

/**
 * `claudemesh://join/<host[:port][/base-path]>/<code>[?tls=0][&broker=<host[:port][/base-path]>…]#<secret>`.
 */
export function formatInviteLink(f: {
  host: string;
  code: string;
  secret: Uint8Array | string;
  /** @default true */
  tls?: boolean;
  /** @default "" */
  basePath?: string;
  /** Further nodes of the same broker cluster, each `host[:port][/base-path]` (same TLS). @default [] */
  extraBrokers?: readonly string[];
}): string {
  const tls = f.tls !== false;
  const host = checkHost(f.host);
  const basePath = normalizeBasePath(f.basePath ?? "");
  const extra = (f.extraBrokers ?? []).map((address) => {
    const checked = checkExtraBroker(address);
    return `${checked.host}${checked.basePath}`;
  });
  brokerList(brokerUrl(tls, host, basePath), tls, extra);
  const params = [...(tls ? [] : ["tls=0"]), ...extra.map((address) => `${BROKER_PARAM}=${address}`)];
  const query = params.length === 0 ? "" : `?${params.join("&")}`;
  return `${INVITE_LINK_PREFIX}${host}${basePath}/${normalizeCode(f.code)}${query}#${secretText(f.secret)}`;
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

function brokerAddress(brokerUrl: string): { host: string; basePath: string; tls: boolean } {
  let url: URL;
  try {
    url = new URL(brokerUrl);
  } catch {
    throw new InviteLinkError(`"${brokerUrl}" is not a URL`);
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new InviteLinkError(`broker URL must be ws:// or wss://, got "${brokerUrl}"`);
  }
  const path = url.pathname.endsWith(WS_PATH) ? url.pathname.slice(0, -WS_PATH.length) : url.pathname;
  return { host: url.host, basePath: normalizeBasePath(path), tls: url.protocol === "wss:" };
}

/**
 * The `claudemesh://` link for a broker WebSocket URL such as `ws://127.0.0.1:7900/ws`, or for the URLs
 * of several nodes of one cluster (the first is the primary; all must use the same scheme).
 */
export function inviteLinkForBroker(f: {
  brokerUrl: string | readonly string[];
  code: string;
  secret: Uint8Array | string;
}): string {
  const urls = typeof f.brokerUrl === "string" ? [f.brokerUrl] : f.brokerUrl;
  const [primary, ...rest] = urls.map(brokerAddress);
  if (primary === undefined) throw new InviteLinkError("an invite link needs a broker URL");
  if (rest.some((node) => node.tls !== primary.tls)) {
    throw new InviteLinkError(
      "the broker URLs of this mesh mix ws:// and wss://; an invite link carries one scheme for all of them",
    );
  }
  return formatInviteLink({
    host: primary.host,
    basePath: primary.basePath,
    tls: primary.tls,
    extraBrokers: rest.map((node) => `${node.host}${node.basePath}`),
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

function parseTls(params: URLSearchParams): boolean {
  const value = params.get("tls");
  if (value === null || value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new InviteLinkError(`invite link has tls=${value}; expected tls=0 or no tls parameter`);
}

/** A link's parts before its `#secret`. */
type LinkHead = Omit<InviteLink, "secret">;

function parseCustomScheme(head: string): LinkHead {
  const rest = head.slice(INVITE_LINK_PREFIX.length);
  const q = rest.indexOf("?");
  const path = q < 0 ? rest : rest.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : rest.slice(q + 1));
  const tls = parseTls(params);
  const segments = path.split("/").filter((segment) => segment !== "");
  if (segments.length < 2) {
    throw new InviteLinkError("invite link must look like claudemesh://join/<host[:port]>/<code>#<secret>");
  }
  const host = checkHost(segments[0] ?? "");
  const code = normalizeCode(segments[segments.length - 1] ?? "");
  const basePath = normalizeBasePath(segments.slice(1, -1).join("/"));
  const primary = brokerUrl(tls, host, basePath);
  const brokerUrls = brokerList(primary, tls, extraBrokerParams(params));
  return { brokerUrl: primary, brokerUrls, host, basePath, tls, code };
}

function extraBrokerParams(params: URLSearchParams): string[] {
  const extra = params.getAll(BROKER_PARAM);
  if (extra.length >= MAX_BROKER_URLS) {
    throw new InviteLinkError(`invite link names more than ${MAX_BROKER_URLS} brokers`);
  }
  return extra;
}

function parseWebLink(head: string): LinkHead {
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
  const primary = brokerUrl(tls, url.host, basePath);
  const brokerUrls = brokerList(primary, tls, extraBrokerParams(url.searchParams));
  return { brokerUrl: primary, brokerUrls, host: url.host, basePath, tls, code };
}

function isLink(lowerCased: string): boolean {
  return (
    lowerCased.startsWith(INVITE_LINK_PREFIX) ||
    lowerCased.startsWith("https://") ||
    lowerCased.startsWith("http://")
  );
}

/** Parses either invite-link form. Throws {@link InviteLinkError} with a message fit for a user. */
export function parseInviteLink(link: string): InviteLink {
  const trimmed = link.trim();
  const lower = trimmed.toLowerCase();
  if (!isLink(lower)) {
    throw new InviteLinkError(
      "not an invite link: expected claudemesh://join/<host>/<code>#<secret> or https://<host>/join/<code>#<secret>",
    );
  }
  const { head, secret } = splitSecret(trimmed);
  const parts = lower.startsWith(INVITE_LINK_PREFIX) ? parseCustomScheme(head) : parseWebLink(head);
  return { ...parts, secret };
}

/**
 * The invite code of a bare code (any case) or of either link form, with or without its `#secret` part,
 * which is neither needed nor checked. Throws {@link InviteLinkError} with a message fit for a user.
 */
export function inviteCodeOf(codeOrLink: string): string {
  const trimmed = codeOrLink.trim();
  const lower = trimmed.toLowerCase();
  if (!isLink(lower)) return normalizeCode(trimmed);
  const hash = trimmed.indexOf("#");
  const head = hash < 0 ? trimmed : trimmed.slice(0, hash);
  return (lower.startsWith(INVITE_LINK_PREFIX) ? parseCustomScheme(head) : parseWebLink(head)).code;
}
