import {
  CLAIM_LEASE_MS,
  FILE_QUOTA_BYTES,
  FILE_RETENTION_MS,
  DEFAULT_MAX_PEERS_PER_MESH,
  FRAME_RATE_PER_SEC,
  GRACE_MS,
  HELLO_TIMEOUT_MS,
  HOOK_WORKING_TIMEOUT_MS,
  PING_INTERVAL_MS,
  PRESENCE_TICK_MS,
  ROW_QUOTA,
  SCHEDULE_POLL_MS,
  SEND_BURST,
  SEND_RATE_PER_MIN,
  STALE_PONG_MS,
  WORKING_SWEEP_MS,
  WORKING_TIMEOUT_MS,
} from "../protocol/index.js";

/** How often the retention sweep runs by default. */
const RETENTION_SWEEP_MS = 10 * 60_000;

/** Options of `claudemesh broker` (cli.md). A limit of 0 lifts it. */
export interface BrokerOptions {
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 7900 */
  port?: number;
  /** Directory for the SQLite database and the admin token. */
  dataDir: string;
  /** PostgreSQL URL; SQLite under `dataDir` when absent. */
  databaseUrl?: string;
  /** Address invite links carry, e.g. https://mesh.example.com */
  publicUrl?: string;
  /** Path prefix a proxy strips; signed paths are verified against the original. */
  basePath?: string;
  /** @default 100 */
  maxPeersPerMesh?: number;
  /** @default 60 */
  sendRatePerMin?: number;
  /** @default 10 */
  sendBurst?: number;
  /** Bytes of live files each member may store per mesh; 0 lifts the quota. @default 1073741824 (1 GiB) */
  fileQuotaBytes?: number;
  /**
   * Rows each member may own per mesh in each of the state, memory, tasks, topics and skills families;
   * 0 lifts the quota. @default 10000
   */
  rowQuota?: number;
  /** Non-send frames per connection per second; burst is twice this. @default 50 */
  frameRatePerSec?: number;
  /**
   * How long a pushed delivery stays claimed without a `client_ack` before it is offered again; also how
   * long a connection may go without acking before it counts as non-acking (protocol.md §4.6, §4.10).
   * Tests shorten it so they need not wait out the protocol's value.
   * @default 30000
   */
  claimLeaseMs?: number;
  /** A connection that has not completed a hello this long after the upgrade is closed (§1.7). @default 10000 */
  helloTimeoutMs?: number;
  /** How often `working` statuses are checked against their timeouts (§3.3). @default 15000 */
  workingSweepMs?: number;
  /** A `working` status not refreshed for this long becomes `idle`, source `inferred` (§3.3). @default 60000 */
  workingTimeoutMs?: number;
  /**
   * The same for a `working` set by a hook, which normally lasts until the hook reports `idle`: a safety
   * net for a turn whose Stop hook never came (§3.3).
   * @default 300000
   */
  hookWorkingTimeoutMs?: number;
  /**
   * How often presence events queued for `peer_events` connections go out, one push per recipient
   * (protocol.md §3.6). Tests shorten it; a larger mesh can lengthen it.
   * @default 250
   */
  presenceTickMs?: number;
  /**
   * How often the broker pings its sockets and refreshes the heartbeat of the presence rows it holds.
   * @default 30000
   */
  heartbeatMs?: number;
  /**
   * In a cluster, a presence whose row has not been refreshed for this long belongs to a node that died:
   * one node marks it gone. Must exceed `heartbeatMs`. @default 165000 (the pong limit plus grace)
   */
  presenceExpiryMs?: number;
  /**
   * How long a non-persistent file is kept after its upload (protocol.md §6.6). Tests shorten it.
   * @default 604800000 (7 days)
   */
  fileRetentionMs?: number;
  /**
   * How often the retention sweep runs (expired deliveries, old messages, expired files). Tests shorten it.
   * @default 600000
   */
  retentionSweepMs?: number;
  /**
   * How often each node looks for scheduled messages that are due (protocol.md §6.5: a fire is at most
   * 5 s late). Tests shorten it.
   * @default 1000
   */
  schedulePollMs?: number;
  /**
   * Testing: shifts the clock scheduled messages are created and fired by, so a test can reach a cron
   * entry's next due time without waiting for it.
   * @default 0
   */
  scheduleClockOffsetMs?: number;
  /** Where JSON-line logs go. @default stderr */
  logDestination?: NodeJS.WritableStream;
  /** @default "info" */
  logLevel?: string;
}

export type ResolvedOptions = Required<Omit<BrokerOptions, "databaseUrl" | "publicUrl" | "logDestination">> &
  Pick<BrokerOptions, "databaseUrl" | "publicUrl" | "logDestination">;

export function resolveOptions(opts: BrokerOptions): ResolvedOptions {
  const heartbeatMs = opts.heartbeatMs ?? PING_INTERVAL_MS;
  const presenceExpiryMs = opts.presenceExpiryMs ?? STALE_PONG_MS + GRACE_MS;
  // A live node refreshes its rows every heartbeat; an expiry within two of them could take its presences.
  if (presenceExpiryMs <= 2 * heartbeatMs) {
    throw new RangeError(
      `presence expiry (${presenceExpiryMs} ms) must exceed two heartbeats (${2 * heartbeatMs} ms)`,
    );
  }
  return {
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 7900,
    dataDir: opts.dataDir,
    databaseUrl: opts.databaseUrl,
    publicUrl: opts.publicUrl,
    basePath: (opts.basePath ?? "").replace(/\/+$/, ""),
    maxPeersPerMesh: opts.maxPeersPerMesh ?? DEFAULT_MAX_PEERS_PER_MESH,
    sendRatePerMin: opts.sendRatePerMin ?? SEND_RATE_PER_MIN,
    sendBurst: opts.sendBurst ?? SEND_BURST,
    frameRatePerSec: opts.frameRatePerSec ?? FRAME_RATE_PER_SEC,
    fileQuotaBytes: opts.fileQuotaBytes ?? FILE_QUOTA_BYTES,
    rowQuota: opts.rowQuota ?? ROW_QUOTA,
    claimLeaseMs: opts.claimLeaseMs ?? CLAIM_LEASE_MS,
    helloTimeoutMs: opts.helloTimeoutMs ?? HELLO_TIMEOUT_MS,
    workingSweepMs: opts.workingSweepMs ?? WORKING_SWEEP_MS,
    workingTimeoutMs: opts.workingTimeoutMs ?? WORKING_TIMEOUT_MS,
    hookWorkingTimeoutMs: opts.hookWorkingTimeoutMs ?? HOOK_WORKING_TIMEOUT_MS,
    presenceTickMs: opts.presenceTickMs ?? PRESENCE_TICK_MS,
    fileRetentionMs: opts.fileRetentionMs ?? FILE_RETENTION_MS,
    retentionSweepMs: opts.retentionSweepMs ?? RETENTION_SWEEP_MS,
    heartbeatMs,
    presenceExpiryMs,
    schedulePollMs: opts.schedulePollMs ?? SCHEDULE_POLL_MS,
    scheduleClockOffsetMs: opts.scheduleClockOffsetMs ?? 0,
    logDestination: opts.logDestination,
    logLevel: opts.logLevel ?? "info",
  };
}
