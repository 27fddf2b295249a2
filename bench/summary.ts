/** Turns the workers' raw results into the benchmark's figures and checks them against the targets. */
import type { WorkerResult } from "./ipc.js";
import type { BenchOptions } from "./options.js";

/** The "Done when" numbers of issue 2 (see docs/bench.md). */
export const TARGETS = {
  minThroughput: 5_000,
  maxPeakRssMb: 300,
  maxP99Ms: 50,
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

/** The whole machine during the run: how busy it was, and how much of it other processes took. */
export interface MachineFigures {
  cores: number;
  /** Busy share of all cores, percent. */
  busyPct: number | null;
  /** Share of all cores used by processes other than the benchmark's, percent. */
  othersPct: number | null;
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
  latencyMs: Percentiles;
  ackLatencyMs: Percentiles;
  broker: BrokerFigures & {
    cpuPercent: number | null;
    /** Broker CPU per delivered DM, µs: the engine's cost, whatever else ran on the machine. */
    cpuUsPerMessage: number | null;
  };
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
    broker: BrokerFigures;
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
  const cpu = extra.broker.cpuSeconds;
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
    latencyMs: percentiles(results.map((r) => r.latencies)),
    ackLatencyMs: percentiles(results.map((r) => r.ackLatencies)),
    broker: {
      ...extra.broker,
      // A run shorter than a few seconds has no whole busy second to show.
      peakCpuPercent: wallMs >= 3_000 ? extra.broker.peakCpuPercent : null,
      cpuPercent: cpu !== null && wallMs > 0 ? Math.round((cpu / (wallMs / 1000)) * 100) : null,
      cpuUsPerMessage: cpu !== null && delivered > 0 ? Math.round((cpu / delivered) * 1e6) : null,
    },
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
    list.push({
      name: `throughput ≥ ${TARGETS.minThroughput} DMs/s`,
      ok: s.throughput >= TARGETS.minThroughput,
    });
  } else if (s.config.offeredRate <= TARGETS.p99AtRate) {
    list.push({
      name: `p99 send→push < ${TARGETS.maxP99Ms} ms`,
      ok: (s.latencyMs.p99 ?? Infinity) < TARGETS.maxP99Ms,
    });
  }
  return list;
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
