/** Options of the broker client, their defaults, and the logger it writes to. */
import { hostname as osHostname } from "node:os";

import { randomString } from "../crypto/index.js";
import { Capability } from "../protocol/features.js";
import type { GroupRef } from "../protocol/frames.js";
import type { BackoffOptions } from "./backoff.js";
import type { HelloProfile, MemberIdentity, SessionConfig } from "./hello.js";
import type { WatchdogOptions } from "./idle-watchdog.js";

type LogFn = (fields: Record<string, unknown>, message?: string) => void;
/** A pino-compatible structured logger. Secrets and message bodies are never passed to it. */
export type Logger = { debug: LogFn; info: LogFn; warn: LogFn; error: LogFn };

const noop: LogFn = () => undefined;
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

export type MeshClientOptions = {
  /**
   * Broker WebSocket URL, e.g. `ws://127.0.0.1:7900/ws`, or the URLs of several nodes of one broker
   * cluster. With several, the client starts with the first and, whenever a connection closes or an
   * attempt fails, tries the next one (round robin); a session reattaches on whichever node it reaches.
   */
  url: string | readonly string[];
  /** The mesh id (not the slug). */
  meshId: string;
  /** The member this client acts for. `secretKey` signs member hellos and mints session attestations. */
  identity: MemberIdentity;
  /** Present for a per-session connection (`session_hello`); absent for a member (`hello`) connection. */
  session?: SessionConfig;
  displayName?: string;
  /**
   * Stable across reconnects of this client, so a reconnect within grace reattaches silently.
   * @default "sdk-<random>"
   */
  sessionId?: string;
  /** @default process.pid */
  pid?: number;
  /** @default process.cwd() */
  cwd?: string;
  /** @default os.hostname() */
  hostname?: string;
  peerType?: "ai" | "human" | "connector";
  channel?: string;
  model?: string;
  groups?: GroupRef[];
  /**
   * Capabilities declared in the hello. One-shot CLI connections add `no_inbox`.
   * @default ["client_ack", "ok_replies", "body_version"]
   */
  capabilities?: string[];
  /**
   * How this connection takes presence events (protocol.md §3.6): `each`, one system event per
   * `peer_joined` / `peer_left` / … as the reference sent them; `coalesced`, at most one `peer_events`
   * system event per broker tick holding several (read it with `peerEventsOf`; when it says some were
   * omitted, list the peers again); `none`, no presence events at all. A broker without the
   * `peer_events` feature sends `each` whatever is asked. Setting it replaces `peer_events` /
   * `no_peer_events` in `capabilities`.
   * @default "each"
   */
  presenceEvents?: PresenceEventMode;
  /**
   * Reconnect with backoff after a connection is lost, and keep retrying transient failures inside
   * `connect()`. With `false`, `connect()` rejects on the first failure and a lost connection stays lost.
   * @default true
   */
  reconnect?: boolean;
  /** @default 10000 */
  requestTimeoutMs?: number;
  /** How long to wait for `hello_ack` after sending the hello (protocol.md §2.8). @default 5000 */
  helloTimeoutMs?: number;
  backoff?: BackoffOptions;
  watchdog?: WatchdogOptions;
  /** Clock for hello timestamps and attestation expiry (ms since the epoch). @default Date.now */
  now?: () => number;
  /** @default a logger that drops everything */
  logger?: Logger;
};

export type PresenceEventMode = "each" | "coalesced" | "none";

const PRESENCE_EVENT_CAPABILITY: Record<PresenceEventMode, string | null> = {
  each: null,
  coalesced: Capability.peerEvents,
  none: Capability.noPeerEvents,
};

export const DEFAULT_CAPABILITIES: readonly string[] = [
  Capability.clientAck,
  Capability.okReplies,
  Capability.bodyVersion,
];
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The broker URLs of `options`, in the order they are tried. */
export function brokerUrlsOf(options: Pick<MeshClientOptions, "url">): readonly string[] {
  return typeof options.url === "string" ? [options.url] : options.url;
}

export function helloProfile(options: MeshClientOptions): HelloProfile {
  return {
    displayName: options.displayName,
    sessionId: options.sessionId ?? `sdk-${randomString("abcdefghijklmnopqrstuvwxyz0123456789", 12)}`,
    pid: options.pid ?? process.pid,
    cwd: options.cwd ?? process.cwd(),
    hostname: options.hostname ?? osHostname(),
    peerType: options.peerType,
    channel: options.channel,
    model: options.model,
    groups: options.groups,
    capabilities: withPresenceEvents(options.capabilities ?? DEFAULT_CAPABILITIES, options.presenceEvents),
  };
}

/**
 * The declared capabilities with the one that asks for `mode` presence events (and no other); as given
 * when no mode was chosen.
 */
function withPresenceEvents(capabilities: readonly string[], mode: PresenceEventMode | undefined): string[] {
  if (mode === undefined) return [...capabilities];
  const asks = new Set<string>([Capability.peerEvents, Capability.noPeerEvents]);
  const wanted = PRESENCE_EVENT_CAPABILITY[mode];
  return [...capabilities.filter((c) => !asks.has(c)), ...(wanted === null ? [] : [wanted])];
}

/** `logger` with `component` and `meshId` on every line. */
export function clientLogger(logger: Logger, meshId: string): Logger {
  const base = { component: "client", meshId };
  return {
    debug: (fields, message) => logger.debug({ ...base, ...fields }, message),
    info: (fields, message) => logger.info({ ...base, ...fields }, message),
    warn: (fields, message) => logger.warn({ ...base, ...fields }, message),
    error: (fields, message) => logger.error({ ...base, ...fields }, message),
  };
}
