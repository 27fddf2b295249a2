/**
 * `npm run bench -- --idle-peers N [--restart]`: how many idle peers one broker takes. Connects N member
 * connections (real MeshClients asking for presence events as the daemon does) and reports the connect
 * wall time (first hello to last hello_ack), hellos/s, broker peak RSS and CPU. With `--restart` it
 * then kills the broker with SIGKILL, starts it again on the same data dir and port, and times the
 * reconnect storm until every peer is back, probing `/health/ready` meanwhile. Either way every peer
 * then sends one DM, and all of them must arrive exactly once.
 */
import { readFileSync } from "node:fs";
import { startBroker } from "./broker-process.js";
import { nodeDirs } from "./broker-nodes.js";
import type { BenchDatabase } from "./database.js";
import type { WorkerInit } from "./ipc.js";
import { formatIdleJson, formatIdleTable } from "./idle-report.js";
import { createBenchMesh } from "./mesh-setup.js";
import type { BenchOptions } from "./options.js";
import type { Owned } from "./run.js";
import { MachineMeter, type MachineFigures } from "./machine.js";
import { CpuWatcher, MemoryWatcher, readCpuSeconds } from "./proc-stats.js";
import { summarizeProfileDir } from "./profile.js";
import { WorkerPool } from "./worker-pool.js";

/** The figures of `docs/bench.md` for idle peers. */
export const IDLE_TARGETS = {
  /** Connect wall time limits by peer count. */
  connectSeconds: [
    { peers: 5_000, seconds: 30 },
    { peers: 10_000, seconds: 90 },
  ],
  maxPeakRssMb: 1_024,
  maxRestartSettleSeconds: 60,
} as const;

/** Open files a process needs besides its sockets (libraries, the database, pipes, logs). */
const SPARE_FDS = 200;
const SETTLE_TIMEOUT_MS = 300_000;
const READY_PROBE_EVERY_MS = 250;
const READY_PROBE_TIMEOUT_MS = 5_000;
/** Idle time after connecting, so the last presence ticks go out before memory is read. */
const IDLE_HOLD_MS = 2_000;

export interface PhaseFigures {
  wallSeconds: number;
  brokerCpuSeconds: number | null;
  brokerPeakCpuPercent: number | null;
  machine: MachineFigures;
}

export interface RestartFigures {
  /** SIGKILL to the new broker's `listening on`. */
  startSeconds: number;
  /** SIGKILL to the last peer's hello_ack on the new broker. */
  settleSeconds: number;
  /** The new broker's `listening on` to the last hello_ack. */
  reconnectSeconds: number;
  phase: PhaseFigures;
  peakRssMb: number | null;
  ready: { probes: number; notReady: number; failed: number; maxLatencyMs: number | null };
}

export interface IdleSummary {
  config: {
    peers: number;
    workers: number;
    restart: boolean;
    store: "sqlite" | "postgres";
    /** `host:port/database` of the run's own PostgreSQL database (no user or password); null on SQLite. */
    database: string | null;
  };
  setupSeconds: number;
  connectSeconds: number;
  hellosPerSecond: number;
  connect: PhaseFigures;
  peakRssMb: number | null;
  presenceEvents: { frames: number; events: number; omitted: number };
  restart: RestartFigures | null;
  dms: {
    sent: number;
    delivered: number;
    duplicates: number;
    errors: number;
    errorKinds: Record<string, number>;
  };
  checks: Array<{ name: string; ok: boolean }>;
}

/** Throws when this process (and so the broker and workers it starts) may not open enough files. */
export function checkFileLimit(peers: number, workers: number): void {
  const limit = openFileLimit();
  if (limit === null) return;
  const needed = peers + SPARE_FDS;
  if (limit >= needed) return;
  throw new Error(
    `--idle-peers ${peers} needs about ${needed} open files in the broker (and ${Math.ceil(peers / workers) + SPARE_FDS} ` +
      `in each worker), but the limit here is ${limit}: raise it in this shell with \`ulimit -n ${Math.max(needed, 65_536)}\` ` +
      "(up to the hard limit, `ulimit -Hn`) and run again",
  );
}

/** The soft limit on open files, from /proc (null where there is none). */
function openFileLimit(): number | null {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft === undefined || soft === "unlimited" ? null : Number(soft);
  } catch {
    // No /proc (not Linux): nothing to check against.
    return null;
  }
}

function note(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** CPU and wall time of a phase: the broker's, all workers', and the whole machine's. */
class PhaseMeter {
  readonly #startedAt = Date.now();
  readonly #broker: number | null;
  readonly #pids: number[];
  readonly #others: number;
  readonly #machine = new MachineMeter();
  readonly #own = process.cpuUsage();
  readonly #cpuWatcher: CpuWatcher;

  constructor(
    private readonly brokerPid: number,
    workerPids: number[],
  ) {
    this.#broker = readCpuSeconds(brokerPid);
    this.#pids = workerPids;
    this.#others = sumCpu(workerPids);
    this.#cpuWatcher = new CpuWatcher(brokerPid);
  }

  stop(endAt = Date.now()): PhaseFigures {
    const peak = this.#cpuWatcher.stop();
    const broker = readCpuSeconds(this.brokerPid);
    const brokerCpu = broker === null || this.#broker === null ? null : broker - this.#broker;
    const own = process.cpuUsage(this.#own);
    const benchCpu = (brokerCpu ?? 0) + (sumCpu(this.#pids) - this.#others) + (own.user + own.system) / 1e6;
    return {
      wallSeconds: round((endAt - this.#startedAt) / 1000, 2),
      brokerCpuSeconds: brokerCpu === null ? null : round(brokerCpu, 2),
      brokerPeakCpuPercent: peak,
      machine: this.#machine.figures(benchCpu),
    };
  }
}

function sumCpu(pids: number[]): number {
  return pids.reduce((n, pid) => n + (readCpuSeconds(pid) ?? 0), 0);
}

/** Probes `/health/ready` until stopped; counts answers other than 200 and the slowest answer. */
function probeReadiness(wsUrl: string): { stop(): RestartFigures["ready"] } {
  const url = `${wsUrl.replace(/^ws/, "http").replace(/\/ws$/, "")}/health/ready`;
  const figures: RestartFigures["ready"] = { probes: 0, notReady: 0, failed: 0, maxLatencyMs: null };
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(READY_PROBE_TIMEOUT_MS) });
        await res.text();
        if (res.status !== 200) figures.notReady += 1;
        const ms = Math.round(performance.now() - started);
        figures.maxLatencyMs = Math.max(figures.maxLatencyMs ?? 0, ms);
      } catch {
        // Refused while restarting, or slower than the probe timeout: counted, not thrown.
        figures.failed += 1;
      }
      figures.probes += 1;
      await new Promise((resolve) => setTimeout(resolve, READY_PROBE_EVERY_MS));
    }
  };
  const running = loop();
  return {
    stop() {
      stopped = true;
      void running;
      return figures;
    },
  };
}

export async function idleBench(
  options: BenchOptions & { idlePeers: number },
  tmp: string,
  own: Owned,
  profileDir: string | null,
  database: BenchDatabase | null,
): Promise<void> {
  const peers = options.idlePeers;
  checkFileLimit(peers, options.workers);
  const dirs = nodeDirs(tmp, 0);
  const databaseUrl = database?.url ?? null;
  let broker = await startBroker({ ...dirs, profileDir, databaseUrl });
  own.brokers.push(broker);
  let memory = new MemoryWatcher(broker.pid);
  note(`broker pid ${broker.pid} at ${broker.url}`);

  const setupStart = Date.now();
  const mesh = await createBenchMesh(broker.url, broker.adminToken, peers);
  const setupMs = Date.now() - setupStart;
  note(`${peers} members created in ${(setupMs / 1000).toFixed(1)} s; connecting`);

  const pool = new WorkerPool(options.workers);
  own.pool = pool;
  const directory = mesh.peers.map((p) => p.publicKey);
  const inits: WorkerInit[] = Array.from({ length: options.workers }, (_, w) => ({
    type: "init",
    urls: [broker.url],
    meshId: mesh.meshId,
    peers: mesh.peers.filter((p) => p.index % options.workers === w),
    directory,
    msgs: 1,
    warmup: 0,
    intervalMs: null,
    window: 1,
    bytes: options.bytes,
  }));
  const meter = new PhaseMeter(broker.pid, pool.pids());
  const times = await pool.connect(inits);
  const connect = meter.stop(times.doneAt);
  const connectMs = times.doneAt - times.startedAt;
  note(`${peers} peers connected in ${(connectMs / 1000).toFixed(2)} s`);
  await new Promise((resolve) => setTimeout(resolve, IDLE_HOLD_MS));
  memory.stop();
  const peakRssMb = mb(memory.peakRss);

  let restart: RestartFigures | null = null;
  if (options.restart) {
    const port = Number(new URL(broker.url).port);
    note("kill -9 the broker; starting it again on the same data dir and port");
    const killAt = Date.now();
    await broker.kill9();
    broker = await startBroker({ ...dirs, profileDir, databaseUrl, port });
    own.brokers.push(broker);
    const listeningAt = Date.now();
    memory = new MemoryWatcher(broker.pid);
    const stormMeter = new PhaseMeter(broker.pid, pool.pids());
    const probe = probeReadiness(broker.url);
    const lastAck = await waitForReconnects(pool, killAt);
    const phase = stormMeter.stop(lastAck);
    const ready = probe.stop();
    await new Promise((resolve) => setTimeout(resolve, IDLE_HOLD_MS));
    memory.stop();
    restart = {
      startSeconds: round((listeningAt - killAt) / 1000, 2),
      settleSeconds: round((lastAck - killAt) / 1000, 2),
      reconnectSeconds: round((lastAck - listeningAt) / 1000, 2),
      phase,
      peakRssMb: mb(memory.peakRss),
      ready,
    };
    note(`every peer back ${restart.settleSeconds} s after the kill`);
  }

  note("one DM per peer");
  const stalled = await pool.run("measure", options.stallSeconds * 1000, () => undefined);
  const events = pool.status();
  const results = await pool.results();
  await pool.stop();
  await broker.stop();
  const errorKinds: Record<string, number> = {};
  for (const r of results) {
    for (const [kind, n] of Object.entries(r.errorKinds)) errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
  }
  const dms = {
    sent: peers,
    delivered: results.reduce((n, r) => n + r.received, 0),
    duplicates: results.reduce((n, r) => n + r.duplicates, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    errorKinds,
  };
  const summary: Omit<IdleSummary, "checks"> = {
    config: {
      peers,
      workers: options.workers,
      restart: options.restart,
      store: database === null ? "sqlite" : "postgres",
      database: database?.label ?? null,
    },
    setupSeconds: round(setupMs / 1000, 2),
    connectSeconds: round(connectMs / 1000, 2),
    hellosPerSecond: Math.round(peers / (connectMs / 1000)),
    connect,
    peakRssMb,
    presenceEvents: { frames: events.systemFrames, events: events.peerEvents, omitted: events.omittedEvents },
    restart,
    dms,
  };
  const full: IdleSummary = { ...summary, checks: idleChecks(summary, stalled) };
  const profile = profileDir === null ? null : summarizeProfileDir(profileDir);
  process.stdout.write(`${options.json ? formatIdleJson(full, profile) : formatIdleTable(full, profile)}\n`);
  if (stalled || dms.delivered !== dms.sent || dms.duplicates > 0) process.exitCode = 1;
}

async function waitForReconnects(pool: WorkerPool, since: number): Promise<number> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let lastNote = 0;
  for (;;) {
    pool.check();
    const last = pool.reconnectedSince(since);
    if (last !== null) return last;
    if (Date.now() > deadline) {
      throw new Error(`peers were not all back ${SETTLE_TIMEOUT_MS / 1000} s after the broker restart`);
    }
    if (Date.now() - lastNote > 5_000) {
      lastNote = Date.now();
      note(`${pool.status().connected} peers back`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function idleChecks(s: Omit<IdleSummary, "checks">, stalled: boolean): IdleSummary["checks"] {
  const checks = [
    {
      name: "one DM per peer delivered, exactly once",
      ok: !stalled && s.dms.delivered === s.dms.sent && s.dms.duplicates === 0,
    },
  ];
  const limit = IDLE_TARGETS.connectSeconds.find((t) => s.config.peers <= t.peers);
  if (limit !== undefined) {
    checks.push({
      name: `connect ≤ ${limit.seconds} s (up to ${limit.peers} peers)`,
      ok: s.connectSeconds <= limit.seconds,
    });
  }
  const peak = Math.max(s.peakRssMb ?? 0, s.restart?.peakRssMb ?? 0);
  checks.push({
    name: `broker peak RSS < ${IDLE_TARGETS.maxPeakRssMb} MB`,
    ok: peak < IDLE_TARGETS.maxPeakRssMb,
  });
  if (s.restart !== null) {
    checks.push({
      name: `restart settles ≤ ${IDLE_TARGETS.maxRestartSettleSeconds} s`,
      ok: s.restart.settleSeconds <= IDLE_TARGETS.maxRestartSettleSeconds,
    });
  }
  return checks;
}

function mb(bytes: number | null): number | null {
  return bytes === null ? null : round(bytes / 1024 / 1024, 1);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
