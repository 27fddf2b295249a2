import {
  DEFAULT_MAX_PEERS_PER_MESH,
  FRAME_RATE_PER_SEC,
  SEND_BURST,
  SEND_RATE_PER_MIN,
} from "../protocol/index.js";

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
  /** Non-send frames per connection per second; burst is twice this. @default 50 */
  frameRatePerSec?: number;
  /** Where JSON-line logs go. @default stderr */
  logDestination?: NodeJS.WritableStream;
  /** @default "info" */
  logLevel?: string;
}

export type ResolvedOptions = Required<Omit<BrokerOptions, "databaseUrl" | "publicUrl" | "logDestination">> &
  Pick<BrokerOptions, "databaseUrl" | "publicUrl" | "logDestination">;

export function resolveOptions(opts: BrokerOptions): ResolvedOptions {
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
    logDestination: opts.logDestination,
    logLevel: opts.logLevel ?? "info",
  };
}
