/** Command-line options of `npm run bench` (see docs/bench.md). */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";

export interface BenchOptions {
  /** Peers (mesh members, one MeshClient connection each). @default 100 */
  peers: number;
  /** DMs each peer sends. @default 100 */
  msgs: number;
  /** Total offered load in msgs/s across all peers; null = as fast as acks come back. @default null */
  rate: number | null;
  /** Sends a peer may have waiting for their `ack`. @default 32 */
  window: number;
  /**
   * Client worker processes hosting the peers. @default the cores the broker nodes leave (at least 1, at
   * most 4, at most `peers`): workers that outnumber the free cores measure their own contention.
   */
  workers: number;
  /** DMs each peer sends before measuring, all delivered before the measured phase starts. @default 20 */
  warmup: number;
  /** Plaintext bytes per DM (before crypto_box). @default 256 */
  bytes: number;
  /** Give up after this many seconds without progress. @default 60 */
  stallSeconds: number;
  /** Write the broker's CPU profile into this directory and print its hot spots. */
  profileDir: string | null;
  json: boolean;
  /**
   * Idle mode: connect this many peers and send nothing but one DM each at the end (the connect,
   * and with `restart` the reconnect storm, is what is measured). Null: the message benchmark.
   */
  idlePeers: number | null;
  /** Idle mode: kill -9 the broker once everyone is connected, start it again, time the reconnects. */
  restart: boolean;
  /**
   * A PostgreSQL server (`postgres://user:password@host:port/database`): the brokers store in a fresh
   * database made on it for the run and dropped afterwards. Null: embedded SQLite in the data dir.
   */
  databaseUrl: string | null;
  /** Broker processes on the one database, peers spread round-robin over them. @default 1 */
  nodes: number;
}

export const USAGE = `usage: npm run bench -- [options]

  --peers N        peers (mesh members, one connection each)            default 100
  --msgs M         DMs each peer sends                                  default 100
  --rate R         total offered msgs/s across all peers                default unlimited
  --window W       sends per peer waiting for their ack                 default 32
  --workers K      client worker processes                             default cores − nodes,
                                                                       1 to 4 (and ≤ peers)
  --warmup W       DMs per peer sent and delivered before measuring     default 20
  --bytes B        plaintext bytes per DM                               default 256
  --stall S        give up after S seconds without progress             default 60
  --profile DIR    run the broker with --cpu-prof into DIR; print its hot spots
  --json           print one JSON document instead of the table
  --idle-peers N   idle mode: connect N peers, no traffic; report connect time, hellos/s, broker RSS/CPU
  --restart        idle mode: then kill -9 the broker, restart it, time until every peer is back
  --database-url U brokers on PostgreSQL: a fresh database              default DATABASE_URL,
                   claudemesh_bench_<random> on U's server,             else SQLite
                   dropped at the end (U: postgres://user:pw@host:port/db)
  --nodes N        broker processes on that database, peers             default 1
                   round-robin over them (N > 1 needs --database-url)
  -h, --help`;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

function positiveInt(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min} (got "${value}")`);
  return n;
}

/** A PostgreSQL URL as the broker takes it; the message never repeats it (it may hold a password). */
function databaseUrl(value: string | undefined, from: string): string | null {
  if (value === undefined || value === "") return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${from} is not a URL: use postgres://user:password@host:port/database`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new UsageError(
      `${from} must be a postgres:// URL (got ${url.protocol}//…): use postgres://user:password@host:port/database`,
    );
  }
  return value;
}

/**
 * Parses `argv` (without node and the script); `env` supplies DATABASE_URL when `--database-url` is
 * absent. Returns null for `--help`.
 */
export function parseBenchArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  cores = availableParallelism(),
): BenchOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        peers: { type: "string" },
        msgs: { type: "string" },
        rate: { type: "string" },
        window: { type: "string" },
        workers: { type: "string" },
        warmup: { type: "string" },
        bytes: { type: "string" },
        stall: { type: "string" },
        profile: { type: "string" },
        json: { type: "boolean", default: false },
        "idle-peers": { type: "string" },
        restart: { type: "boolean", default: false },
        "database-url": { type: "string" },
        nodes: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return null;
  const idlePeers = v["idle-peers"] === undefined ? null : positiveInt("idle-peers", v["idle-peers"], 0, 2);
  if (v.restart && idlePeers === null) throw new UsageError("--restart goes with --idle-peers N");
  if (idlePeers !== null && (v.peers !== undefined || v.msgs !== undefined || v.rate !== undefined)) {
    throw new UsageError(
      "--idle-peers replaces --peers, --msgs and --rate (each idle peer sends one DM at the end)",
    );
  }
  const database =
    v["database-url"] === undefined
      ? databaseUrl(env.DATABASE_URL, "DATABASE_URL")
      : databaseUrl(v["database-url"], "--database-url");
  const nodes = positiveInt("nodes", v.nodes, 1);
  if (nodes > 1 && database === null) {
    throw new UsageError(
      `--nodes ${nodes} needs --database-url (or DATABASE_URL): broker nodes share one PostgreSQL database`,
    );
  }
  if (nodes > 1 && idlePeers !== null) {
    throw new UsageError("--idle-peers measures one broker: use it without --nodes (or with --nodes 1)");
  }
  const peers = idlePeers ?? positiveInt("peers", v.peers, 100, 2);
  const rate = v.rate === undefined || v.rate === "0" ? null : Number(v.rate);
  if (rate !== null && !(Number.isFinite(rate) && rate > 0)) {
    throw new UsageError(`--rate must be a positive number of msgs/s (got "${v.rate}")`);
  }
  if (nodes > peers)
    throw new UsageError(`--nodes ${nodes} is more than the ${peers} peers to spread over them`);
  return {
    peers,
    msgs: idlePeers === null ? positiveInt("msgs", v.msgs, 100) : 1,
    rate,
    window: positiveInt("window", v.window, 32),
    workers: Math.min(positiveInt("workers", v.workers, Math.max(1, Math.min(4, cores - nodes))), peers),
    warmup: idlePeers === null ? positiveInt("warmup", v.warmup, 20, 0) : 0,
    bytes: positiveInt("bytes", v.bytes, 256, 64),
    stallSeconds: positiveInt("stall", v.stall, 60),
    profileDir: v.profile ?? null,
    json: v.json,
    idlePeers,
    restart: v.restart,
    databaseUrl: database,
    nodes,
  };
}
