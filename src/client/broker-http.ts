/**
 * The broker's HTTP routes a client calls (protocol.md §7): health, mesh creation, invites. Every failure
 * is a {@link BrokerHttpError} carrying the broker's error code, or a {@link BrokerUnreachableError}.
 */
import { sign } from "../crypto/index.js";
import { meshCreateCanonical } from "../protocol/canonical.js";
import { WS_PATH } from "../protocol/constants.js";
import { signHttpRequest } from "./signing.js";

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

/** Nothing answered at the broker's address (refused, DNS, timeout). */
export class BrokerUnreachableError extends Error {
  override readonly name = "BrokerUnreachableError";
  readonly code = "broker_unreachable";
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach the broker at ${url} (${reason})`);
  }
}

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

async function call<T>(
  brokerUrl: string,
  method: string,
  route: string,
  init: { body?: string; headers?: Record<string, string> } & RequestOptions = {},
): Promise<T> {
  const url = `${brokerHttpBase(brokerUrl)}${route}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(init.body === undefined ? {} : { "Content-Type": "application/json" }),
        ...init.headers,
      },
      body: init.body,
      signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new BrokerUnreachableError(brokerHttpBase(brokerUrl), describeFetchError(err));
  }
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

/** The path part of `route` as it will be sent (including a base path), which is what gets signed. */
function sentPath(brokerUrl: string, route: string): string {
  return new URL(`${brokerHttpBase(brokerUrl)}${route}`).pathname;
}

/** `GET /health`. */
export function health(brokerUrl: string, options: RequestOptions = {}): Promise<BrokerHealth> {
  return call(brokerUrl, "GET", "/health", options);
}

/** `POST /meshes` with the broker admin token; signed by the new owner's member key. */
export function createMesh(
  brokerUrl: string,
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
    headers: { Authorization: `Bearer ${f.adminToken}` },
  });
}

/** `POST /invites`, signed (§7.1) by the inviting owner/admin member key. */
export function registerInvite(
  brokerUrl: string,
  f: { meshId: string; pubkey: string; secretKey: string; invite: InviteRegistration },
  options: RequestOptions = {},
): Promise<{ ok: true }> {
  const body = JSON.stringify(f.invite);
  const signed = signHttpRequest({
    method: "POST",
    target: sentPath(brokerUrl, "/invites"),
    meshId: f.meshId,
    pubkey: f.pubkey,
    secretKey: f.secretKey,
    body,
  });
  return call(brokerUrl, "POST", "/invites", { ...options, body, headers: signed.headers });
}

/** `GET /invites/:code` — never consumes a use. */
export function previewInvite(
  brokerUrl: string,
  code: string,
  options: RequestOptions = {},
): Promise<InvitePreview> {
  return call(brokerUrl, "GET", `/invites/${encodeURIComponent(code)}`, options);
}

/** `POST /invites/:code/claim`. */
export function claimInvite(
  brokerUrl: string,
  code: string,
  claim: InviteClaim,
  options: RequestOptions = {},
): Promise<InviteClaimResult> {
  return call(brokerUrl, "POST", `/invites/${encodeURIComponent(code)}/claim`, {
    ...options,
    body: JSON.stringify(claim),
  });
}
