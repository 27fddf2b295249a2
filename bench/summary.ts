/** Turns the workers' raw results into the benchmark's figures and checks them against the targets. */
import type { WorkerResult } from "./ipc.js";
import type { MachineFigures } from "./machine.js";
import type { BenchOptions } from "./options.js";

/** The targets on a 2-core machine (see docs/bench.md). */
export const TARGETS = {
  minThroughput: 10_000,
  /** One broker on PostgreSQL (a local server on the same machine). */
  minThroughputPostgres: 2_500,
  maxPeakRssMb: 300,
  /** One broker: send→push p99. */
  maxP99Ms: 20,
  /** Several nodes: send→push p99 of the DMs that crossed nodes. */
  maxCrossNodeP99Ms: 50,
  /** The p99 target is set at this offered load (msgs/s) or below. */
  p99AtRate: 1_000,
} as const;

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface BrokerFigures {
  peakRssMb: number | null;
  /** CPU seconds the broker used between the first send and the end of the run. */
  cpuSeconds: number | null;
  /** The broker's busiest second, percent of one core (near 100: the broker is the bottleneck). */
  peakCpuPercent: number | null;
}

/** One broker node's figures, as measured from outside its process. */
export interface BrokerNodeFigures extends BrokerFigures {
  /** 1-based, in start order; node 1 created the mesh. */
  node: number;
  pid: number;
  url: string;
  /** Peers connected to this node. */
  peers: number;
}

export interface Check {
  name: string;
  ok: boolean;
}

export interface BenchSummary {
  config: {
    peers: number;
    msgsPerPeer: number;
    offeredRate: number | null;
    window: number;
    workers: number;
    /** DMs per peer sent and delivered before the measured phase (not counted). */
    warmupPerPeer: number;
    plaintextBytes: number;
    store: "sqlite" | "postgres";
    /** `host:port/database` of the run's own PostgreSQL database (no user or password); null on SQLite. */
    database: string | null;
    /** Broker processes; peers are spread round-robin over them. */
    nodes: number;
  };
  /** Messages the peers set out to send (peers × msgs). */
  sent: number;
  /** Sends the broker acked with `queued:true`. */
  accepted: number;
  /** Unique messages received and decrypted at the application. */
  delivered: number;
  deliveredPct: number;
  duplicates: number;
  /** Warm-up messages received more than once (also a delivery failure). */
  warmupDuplicates: number;
  errors: number;
  errorKinds: Record<string, number>;
  retries: number;
  duplicateAcks: number;
  disconnects: number;
  /** First send to last receive, seconds. */
  wallSeconds: number;
  /** Delivered messages per second of wall time. */
  throughput: number;
  /** Achieved send rate: sends per second between the first and the last send. */
  sendRate: number;
  /** send→push over every delivered DM. */
  latencyMs: Percentiles;
  /**
   * With several nodes: send→push of DMs whose sender and recipient were on the same node, and on
   * different nodes, and the share of delivered DMs that crossed (0-1). Null with one node.
   */
  nodeSplit: {
    sameNodeLatencyMs: Percentiles;
    crossNodeLatencyMs: Percentiles;
    crossNodeShare: number;
  } | null;
  ackLatencyMs: Percentiles;
  /**
   * All broker nodes together: peak RSS of the largest, CPU added up (busiest second: the busiest
   * node's). With one node, that node.
   */
  broker: BrokerFigures & {
    cpuPercent: number | null;
    /** Broker CPU per delivered DM, µs: the engine's cost, whatever else ran on the machine. */
    cpuUsPerMessage: number | null;
  };
  /** Each node with its share of the run: CPU % of one core over the wall time. */
  brokerNodes: Array<BrokerNodeFigures & { cpuPercent: number | null }>;
  /**
   * CPU the PostgreSQL server spent (its backends on the run's database and its WAL writer,
   * checkpointer and background writer), when it runs on this machine; null otherwise or on SQLite.
   */
  postgres: { cpuSeconds: number; cpuPercent: number | null; cpuUsPerMessage: number | null } | null;
  workersCpuSeconds: number;
  /** Client CPU (all workers) per delivered DM, µs: encryption, framing, decryption, acks. */
  workersCpuUsPerMessage: number | null;
  machine: MachineFigures;
  setupSeconds: number;
  connectSeconds: number;
  stalled: boolean;
  checks: Check[];
}

export function summarize(
  options: BenchOptions,
  results: WorkerResult[],
  extra: {
    brokerNodes: BrokerNodeFigures[];
    /** PostgreSQL server CPU seconds, when measured. */
    postgresCpuSeconds: number | null;
    /** `host:port/database` of the run's database. */
    database: string | null;
    machine: MachineFigures;
    setupMs: number;
    connectMs: number;
    stalled: boolean;
  },
): BenchSummary {
  const sum = (pick: (r: WorkerResult) => number) => results.reduce((n, r) => n + pick(r), 0);
  const times = (pick: (r: WorkerResult) => number | null) =>
    results.map(pick).filter((t): t is number => t !== null);
  const firstSend = Math.min(...times((r) => r.firstSendAt));
  const lastSend = Math.max(...times((r) => r.lastSendAt));
  const lastReceive = Math.max(...times((r) => r.lastReceiveAt));
  const sent = options.peers * options.msgs;
  const delivered = sum((r) => r.received);
  const wallMs = Number.isFinite(lastReceive - firstSend) ? lastReceive - firstSend : 0;
  const sendSpanMs = Number.isFinite(lastSend - firstSend) ? lastSend - firstSend : 0;
  const errorKinds: Record<string, number> = {};
  for (const r of results) {
    for (const [kind, n] of Object.entries(r.errorKinds)) errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
  }
  const broker = addUp(extra.brokerNodes);
  const cpu = broker.cpuSeconds;
  const perCore = (seconds: number | null) =>
    seconds !== null && wallMs > 0 ? Math.round((seconds / (wallMs / 1000)) * 100) : null;
  const perDm = (seconds: number | null) =>
    seconds !== null && delivered > 0 ? Math.round((seconds / delivered) * 1e6) : null;
  // A run shorter than a few seconds has no whole busy second to show.
  const busiest = (pct: number | null) => (wallMs >= 3_000 ? pct : null);
  const same = results.map((r) => r.sameNodeLatencies);
  const cross = results.map((r) => r.crossNodeLatencies);
  const crossCount = cross.reduce((n, c) => n + c.length, 0);
  const pg = extra.postgresCpuSeconds;
  const workersCpu = sum((r) => r.cpuSeconds);
  const summary: Omit<BenchSummary, "checks"> = {
    config: {
      peers: options.peers,
      msgsPerPeer: options.msgs,
      offeredRate: options.rate,
      window: options.window,
      workers: options.workers,
      warmupPerPeer: options.warmup,
      plaintextBytes: options.bytes,
      store: options.databaseUrl === null ? "sqlite" : "postgres",
      database: extra.database,
      nodes: options.nodes,
    },
    sent,
    accepted: sum((r) => r.accepted),
    delivered,
    deliveredPct: sent === 0 ? 0 : round((delivered / sent) * 100, 3),
    duplicates: sum((r) => r.duplicates),
    warmupDuplicates: sum((r) => r.warmupDuplicates),
    errors: sum((r) => r.errors),
    errorKinds,
    retries: sum((r) => r.retries),
    duplicateAcks: sum((r) => r.duplicateAcks),
    disconnects: sum((r) => r.disconnects),
    wallSeconds: round(wallMs / 1000, 3),
    throughput: wallMs > 0 ? Math.round(delivered / (wallMs / 1000)) : 0,
    sendRate: sendSpanMs > 0 ? Math.round(sum((r) => r.attempted) / (sendSpanMs / 1000)) : 0,
    latencyMs: percentiles([...same, ...cross]),
    nodeSplit:
      options.nodes === 1
        ? null
        : {
            sameNodeLatencyMs: percentiles(same),
            crossNodeLatencyMs: percentiles(cross),
            crossNodeShare: delivered > 0 ? round(crossCount / delivered, 3) : 0,
          },
    ackLatencyMs: percentiles(results.map((r) => r.ackLatencies)),
    broker: {
      ...broker,
      peakCpuPercent: busiest(broker.peakCpuPercent),
      cpuPercent: perCore(cpu),
      cpuUsPerMessage: perDm(cpu),
    },
    brokerNodes: extra.brokerNodes.map((n) => ({
      ...n,
      peakCpuPercent: busiest(n.peakCpuPercent),
      cpuPercent: perCore(n.cpuSeconds),
    })),
    postgres: pg === null ? null : { cpuSeconds: pg, cpuPercent: perCore(pg), cpuUsPerMessage: perDm(pg) },
    workersCpuSeconds: round(workersCpu, 2),
    workersCpuUsPerMessage: delivered > 0 ? Math.round((workersCpu / delivered) * 1e6) : null,
    machine: extra.machine,
    setupSeconds: round(extra.setupMs / 1000, 2),
    connectSeconds: round(extra.connectMs / 1000, 2),
    stalled: extra.stalled,
  };
  return { ...summary, checks: checks(summary) };
}

function checks(s: Omit<BenchSummary, "checks">): Check[] {
  const list: Check[] = [
    { name: "delivered 100%", ok: s.delivered === s.sent },
    { name: "no duplicates at the application", ok: s.duplicates === 0 && s.warmupDuplicates === 0 },
  ];
  if (s.broker.peakRssMb !== null) {
    list.push({
      name: `broker peak RSS < ${TARGETS.maxPeakRssMb} MB`,
      ok: s.broker.peakRssMb < TARGETS.maxPeakRssMb,
    });
  }
  if (s.config.offeredRate === null) {
    // The throughput targets are a single broker's; several nodes on one machine only report theirs.
    if (s.config.nodes === 1) {
      const min = s.config.store === "sqlite" ? TARGETS.minThroughput : TARGETS.minThroughputPostgres;
      list.push({
        name: `throughput ≥ ${min.toLocaleString("en-US")} DMs/s (${s.config.store})`,
        ok: s.throughput >= min,
      });
    }
  } else if (s.config.offeredRate <= TARGETS.p99AtRate) {
    // Across nodes, the p99 that counts is that of the DMs that crossed.
    const p99 = s.nodeSplit === null ? s.latencyMs.p99 : s.nodeSplit.crossNodeLatencyMs.p99;
    const max = s.nodeSplit === null ? TARGETS.maxP99Ms : TARGETS.maxCrossNodeP99Ms;
    list.push({
      name: `p99 send→push < ${max} ms${s.nodeSplit === null ? "" : " (cross-node)"}`,
      ok: (p99 ?? Infinity) < max,
    });
  }
  return list;
}

/** The nodes taken together: the largest RSS, CPU added up, the busiest node's busiest second. */
function addUp(nodes: BrokerFigures[]): BrokerFigures {
  const known = <T>(values: (T | null)[]): T[] | null =>
    values.some((v) => v === null) ? null : (values as T[]);
  const rss = known(nodes.map((n) => n.peakRssMb));
  const cpu = known(nodes.map((n) => n.cpuSeconds));
  const peak = known(nodes.map((n) => n.peakCpuPercent));
  return {
    peakRssMb: rss === null ? null : Math.max(...rss),
    cpuSeconds:
      cpu === null
        ? null
        : round(
            cpu.reduce((a, b) => a + b, 0),
            2,
          ),
    peakCpuPercent: peak === null ? null : Math.max(...peak),
  };
}

/** Nearest-rank percentiles over all samples, in ms with 0.1 ms precision. */
function percentiles(parts: Float64Array[]): Percentiles {
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (total === 0) return { p50: null, p95: null, p99: null, max: null };
  const all = new Float64Array(total);
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  all.sort();
  const at = (q: number) => round(all[Math.min(total - 1, Math.ceil(q * total) - 1)]!, 1);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(all[total - 1]!, 1) };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
