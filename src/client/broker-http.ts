/**
 * The broker's HTTP routes a client calls (protocol.md §7): health, mesh creation, invites. Every failure
 * is a {@link BrokerHttpError} carrying the broker's error code, or a {@link BrokerUnreachableError}.
 *
 * Each call takes one broker URL or the URLs of several nodes of a broker cluster: when a node cannot be
 * reached (refused, reset, timed out) the call goes to the next one; an HTTP answer, even an error, is
 * the cluster's answer and ends the call.
 */
import { sign } from "../crypto/index.js";
import { meshCreateCanonical } from "../protocol/canonical.js";
import { WS_PATH } from "../protocol/constants.js";
import type { InviteList, InviteRevocation } from "../protocol/invites.js";
import { signHttpRequest } from "./signing.js";

export type { InviteList, InviteRevocation, InviteSummary } from "../protocol/invites.js";

/** The broker answered with an error status; `code` is its `error` field (`unauthorized`, `expired`, …). */
export class BrokerHttpError extends Error {
  override readonly name = "BrokerHttpError";
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Nothing answered at the broker's address, or at any of its nodes (refused, DNS, timeout). */
export class BrokerUnreachableError extends Error {
  override readonly name = "BrokerUnreachableError";
  readonly code = "broker_unreachable";
  /**
   * @param url the last address tried
   * @param reason why it failed
   * @param earlier the nodes tried before it, in order, and why each failed
   */
  constructor(
    readonly url: string,
    readonly reason: string,
    readonly earlier: ReadonlyArray<{ url: string; reason: string }> = [],
  ) {
    super(
      `cannot reach the broker at ${[...earlier, { url, reason }].map((f) => `${f.url} (${f.reason})`).join(", ")}`,
    );
  }
}

/** A broker address: one WebSocket URL, or the URLs of the nodes of one broker cluster, tried in order. */
export type BrokerUrls = string | readonly string[];

export interface BrokerHealth {
  status: string;
  db: "up" | "down";
  version: string;
  gitSha?: string;
  uptime: number;
  /** Broker clock in ms, for skew checks. */
  serverTime?: number;
  /** The public URL invite links carry, when the broker was started with one. */
  publicUrl?: string;
}

export interface CreateMeshResult {
  mesh_id: string;
  slug: string;
  name: string;
  owner_member_id: string;
}

export interface InviteRegistration {
  code: string;
  role: "member" | "admin";
  max_uses: number;
  /** ms since the epoch. */
  expires_at: number;
  inviter_pubkey: string;
  invite_signature: string;
  claim_hash: string;
  encrypted_root_key: string;
  nonce: string;
}

export interface InvitePreview {
  mesh_id: string;
  mesh_name: string;
  role: "member" | "admin";
  inviter_name: string;
  expires_at: number;
  uses_left: number;
}

export interface InviteClaim {
  claim_token: string;
  peer_pubkey: string;
  display_name: string;
  timestamp: number;
  signature: string;
}

export interface InviteClaimResult {
  mesh_id: string;
  member_id: string;
  role: "owner" | "admin" | "member";
  /** The name the broker gave the member (a suffix when the one asked for was taken); older brokers omit it. */
  display_name?: string;
  mesh_name: string;
  slug: string;
  owner_pubkey: string;
  inviter_pubkey: string;
  canonical: string;
  invite_signature: string;
  encrypted_root_key: string;
  nonce: string;
}

export interface RequestOptions {
  /** @default 10000 */
  timeoutMs?: number;
}

/** `http(s)://host[:port][/base-path]` for a broker URL `ws(s)://host[:port][/base-path]/ws`. */
export function brokerHttpBase(brokerUrl: string): string {
  let url: URL;
  try {
    url = new URL(brokerUrl);
  } catch {
    throw new BrokerHttpError(
      "invalid_argument",
      0,
      `"${brokerUrl}" is not a broker URL (expected ws://host:port/ws)`,
    );
  }
  const protocol = url.protocol === "wss:" || url.protocol === "https:" ? "https:" : "http:";
  const path = url.pathname.endsWith(WS_PATH) ? url.pathname.slice(0, -WS_PATH.length) : url.pathname;
  return `${protocol}//${url.host}${path.replace(/\/+$/, "")}`;
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if ((err as Error).name === "TimeoutError" || (err as Error).name === "AbortError") return "timed out";
  return cause?.message ?? (err as Error).message;
}

/** Failures where the request cannot have reached the broker (no connection was ever made). */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

interface CallInit extends RequestOptions {
  body?: string;
  /** Headers for the request, given the path (with any base path) it is sent to, which signatures cover. */
  headers?: (sentPath: string) => Record<string, string>;
  /**
   * Which transport failures move on to the next URL: `any` (refused, reset, timed out), or only `unsent`
   * ones (refused, no route, no such host) for a request that must not run twice.
   * @default "any"
   */
  failover?: "any" | "unsent";
}

async function call<T>(
  brokerUrls: BrokerUrls,
  method: string,
  route: string,
  init: CallInit = {},
): Promise<T> {
  const urls = typeof brokerUrls === "string" ? [brokerUrls] : brokerUrls;
  const failures: Array<{ url: string; reason: string }> = [];
  for (const brokerUrl of urls) {
    const base = brokerHttpBase(brokerUrl);
    const url = `${base}${route}`;
    try {
      const res = await fetch(url, {
        method,
        headers: {
          ...(init.body === undefined ? {} : { "Content-Type": "application/json" }),
          ...init.headers?.(new URL(url).pathname),
        },
        body: init.body,
        signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
      });
      return await answer<T>(res, url);
    } catch (err) {
      if (err instanceof BrokerHttpError) throw err;
      const reason = describeFetchError(err);
      failures.push({ url: base, reason });
      if (init.failover === "unsent" && !NOT_SENT.has(reason)) break;
    }
  }
  const last = failures.pop();
  if (last === undefined) {
    throw new BrokerHttpError("invalid_argument", 0, "no broker URL given");
  }
  throw new BrokerUnreachableError(last.url, last.reason, failures);
}

/** The parsed JSON of a broker answer, or the {@link BrokerHttpError} it stands for. */
async function answer<T>(res: Response, url: string): Promise<T> {
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? {} : JSON.parse(text);
  } catch {
    // Not JSON: a proxy page or a non-claudemesh server; reported below with the status.
  }
  if (!res.ok || parsed === null) {
    const body = (parsed ?? {}) as { error?: unknown; message?: unknown };
    const code = typeof body.error === "string" ? body.error : `http_${res.status}`;
    const message =
      typeof body.message === "string"
        ? body.message
        : parsed === null
          ? `the server at ${url} did not answer like a claudemesh broker (HTTP ${res.status})`
          : `broker answered HTTP ${res.status} ${code}`;
    throw new BrokerHttpError(code, res.status, message);
  }
  return parsed as T;
}

/** `GET /health`. */
export function health(brokerUrl: BrokerUrls, options: RequestOptions = {}): Promise<BrokerHealth> {
  return call(brokerUrl, "GET", "/health", options);
}

/** `POST /meshes` with the broker admin token; signed by the new owner's member key. */
export function createMesh(
  brokerUrl: BrokerUrls,
  f: {
    adminToken: string;
    name: string;
    slug?: string;
    ownerPubkey: string;
    ownerSecretKey: string;
    ownerDisplayName: string;
    /** @default Date.now() */
    timestamp?: number;
  },
  options: RequestOptions = {},
): Promise<CreateMeshResult> {
  const timestamp = f.timestamp ?? Date.now();
  const signature = sign(
    meshCreateCanonical({ name: f.name, ownerPubkey: f.ownerPubkey, timestamp }),
    f.ownerSecretKey,
  );
  const body = JSON.stringify({
    name: f.name,
    ...(f.slug === undefined ? {} : { slug: f.slug }),
    owner_pubkey: f.ownerPubkey,
    owner_display_name: f.ownerDisplayName,
    timestamp,
    signature,
  });
  return call(brokerUrl, "POST", "/meshes", {
    ...options,
    body,
    headers: () => ({ Authorization: `Bearer ${f.adminToken}` }),
    // A request that timed out or was cut may have created the mesh: sending it again to another node
    // would make a second one. Only a node that was never reached is skipped.
    failover: "unsent",
  });
}

/** The member key that signs a request (§7.1), and its mesh. */
export interface SigningMember {
  meshId: string;
  pubkey: string;
  secretKey: string;
}

/**
 * The §7.1 headers for each attempt: each node may sit behind its own base path, and a fresh timestamp
 * keeps a retry from looking like a replay.
 */
function signedHeaders(
  method: string,
  signer: SigningMember,
  body = "",
): (target: string) => Record<string, string> {
  return (target) =>
    signHttpRequest({
      method,
      target,
      meshId: signer.meshId,
      pubkey: signer.pubkey,
      secretKey: signer.secretKey,
      body,
    }).headers;
}

/** `POST /invites`, signed (§7.1) by the inviting owner/admin member key. */
export function registerInvite(
  brokerUrl: BrokerUrls,
  f: SigningMember & { invite: InviteRegistration },
  options: RequestOptions = {},
): Promise<{ ok: true }> {
  const body = JSON.stringify(f.invite);
  return call(brokerUrl, "POST", "/invites", { ...options, body, headers: signedHeaders("POST", f, body) });
}

/** `GET /invites`, signed by an owner/admin member key: every invite of its mesh, newest first. */
export function listInvites(
  brokerUrl: BrokerUrls,
  signer: SigningMember,
  options: RequestOptions = {},
): Promise<InviteList> {
  return call(brokerUrl, "GET", "/invites", { ...options, headers: signedHeaders("GET", signer) });
}

/** `POST /invites/:code/revoke`, signed by an owner/admin member key; revoking twice changes nothing. */
export function revokeInvite(
  brokerUrl: BrokerUrls,
  f: SigningMember & { code: string },
  options: RequestOptions = {},
): Promise<InviteRevocation> {
  return call(brokerUrl, "POST", `/invites/${encodeURIComponent(f.code)}/revoke`, {
    ...options,
    headers: signedHeaders("POST", f),
  });
}

/** `GET /invites/:code` — never consumes a use. */
export function previewInvite(
  brokerUrl: BrokerUrls,
  code: string,
  options: RequestOptions = {},
): Promise<InvitePreview> {
  return call(brokerUrl, "GET", `/invites/${encodeURIComponent(code)}`, options);
}

/** `POST /invites/:code/claim`. */
export function claimInvite(
  brokerUrl: BrokerUrls,
  code: string,
  claim: InviteClaim,
  options: RequestOptions = {},
): Promise<InviteClaimResult> {
  return call(brokerUrl, "POST", `/invites/${encodeURIComponent(code)}/claim`, {
    ...options,
    body: JSON.stringify(claim),
  });
}
