/**
 * `npm run bench`: a load benchmark of the broker on loopback (quality.md, Performance). Starts a broker
 * process with an embedded SQLite store in a temp dir, creates one mesh and N members over HTTP, forks
 * worker processes hosting the peers as real MeshClient connections, has every peer send M crypto_box DMs
 * to random peers, and reports throughput, send→push latency, delivered %, duplicates and broker peak
 * RSS. Always kills its processes and deletes its temp dir.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startBroker, tail, type BrokerProcess } from "./broker-process.js";
import type { Counters, WorkerInit } from "./ipc.js";
import { idleBench } from "./idle.js";
import { createBenchMesh } from "./mesh-setup.js";
import { parseBenchArgs, USAGE, UsageError, type BenchOptions } from "./options.js";
import { CpuWatcher, MemoryWatcher, readCpuSeconds, readMachineCpu, type MachineCpu } from "./proc-stats.js";
import { summarizeProfileDir } from "./profile.js";
import { formatJson, formatTable } from "./report.js";
import { summarize, type MachineFigures } from "./summary.js";
import { WorkerPool } from "./worker-pool.js";

const PROGRESS_EVERY_MS = 1_000;

function note(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function progressPrinter(sent: number): (total: Counters) => void {
  let last = 0;
  return (t) => {
    const now = Date.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    note(`sent ${t.attempted}/${sent}, accepted ${t.accepted}, delivered ${t.received}, errors ${t.errors}`);
  };
}

async function bench(options: BenchOptions, tmp: string, own: { broker?: BrokerProcess; pool?: WorkerPool }) {
  const profileDir = options.profileDir === null ? null : resolve(options.profileDir);
  if (profileDir !== null) mkdirSync(profileDir, { recursive: true });
  const broker = await startBroker({ dataDir: join(tmp, "data"), logDir: tmp, profileDir });
  own.broker = broker;
  const memory = new MemoryWatcher(broker.pid);
  note(`broker pid ${broker.pid} at ${broker.url}`);

  const setupStart = Date.now();
  const mesh = await createBenchMesh(broker.url, broker.adminToken, options.peers);
  const setupMs = Date.now() - setupStart;

  const pool = new WorkerPool(options.workers);
  own.pool = pool;
  const directory = mesh.peers.map((p) => p.publicKey);
  const inits: WorkerInit[] = Array.from({ length: options.workers }, (_, w) => ({
    type: "init",
    url: broker.url,
    meshId: mesh.meshId,
    peers: mesh.peers.filter((p) => p.index % options.workers === w),
    directory,
    msgs: options.msgs,
    warmup: options.warmup,
    intervalMs: options.rate === null ? null : (options.peers / options.rate) * 1000,
    window: options.window,
    bytes: options.bytes,
  }));
  const { connectMs } = await pool.connect(inits);
  note(`${options.peers} peers connected in ${(connectMs / 1000).toFixed(2)} s`);

  const stallMs = options.stallSeconds * 1000;
  if (options.warmup > 0) {
    note(`warm-up: ${options.warmup} DMs per peer, not measured`);
    const stalled = await pool.run("warmup", stallMs, progressPrinter(options.peers * options.warmup));
    if (stalled) throw new Error(`the warm-up made no progress for ${options.stallSeconds} s`);
  }
  note("measuring");
  const cpuBefore = readCpuSeconds(broker.pid);
  const machineBefore = readMachineCpu();
  const ownBefore = process.cpuUsage();
  const cpuWatcher = new CpuWatcher(broker.pid);
  const sent = options.peers * options.msgs;
  const stalled = await pool.run("measure", stallMs, progressPrinter(sent));
  const peakCpuPercent = cpuWatcher.stop();
  const cpuAfter = readCpuSeconds(broker.pid);
  const machineAfter = readMachineCpu();
  const coordinatorCpu = process.cpuUsage(ownBefore);
  const results = await pool.results();
  memory.stop();
  await pool.stop();
  await broker.stop();

  const peakRss = memory.peakRss;
  const brokerCpu = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  const benchCpu =
    (brokerCpu ?? 0) +
    (coordinatorCpu.user + coordinatorCpu.system) / 1e6 +
    results.reduce((n, r) => n + r.cpuSeconds, 0);
  const summary = summarize(options, results, {
    broker: {
      peakRssMb: peakRss === null ? null : Math.round((peakRss / 1024 / 1024) * 10) / 10,
      cpuSeconds: brokerCpu === null ? null : Math.round(brokerCpu * 100) / 100,
      peakCpuPercent,
    },
    machine: machineFigures(machineBefore, machineAfter, benchCpu),
    setupMs,
    connectMs,
    stalled,
  });
  const profile = profileDir === null ? null : summarizeProfileDir(profileDir);
  process.stdout.write(`${options.json ? formatJson(summary, profile) : formatTable(summary, profile)}\n`);
  // Delivery guarantees fail the run; the speed targets are reported, not enforced.
  const correct =
    summary.delivered === summary.sent &&
    summary.duplicates === 0 &&
    summary.warmupDuplicates === 0 &&
    !summary.stalled;
  if (!correct) process.exitCode = 1;
  if (summary.errors > 0 || !correct) note(`broker log (last lines):\n${tail(broker.logFile)}`);
}

function machineFigures(
  before: MachineCpu | null,
  after: MachineCpu | null,
  benchCpu: number,
): MachineFigures {
  const cores = availableParallelism();
  if (before === null || after === null || after.total <= before.total) {
    return { cores, busyPct: null, othersPct: null };
  }
  const total = after.total - before.total;
  const busy = after.busy - before.busy;
  const pct = (n: number) => Math.max(0, Math.round((n / total) * 100));
  return { cores, busyPct: pct(busy), othersPct: pct(busy - benchCpu) };
}

async function main(argv: string[]): Promise<void> {
  let options: BenchOptions | null;
  try {
    options = parseBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === null) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), "claudemesh-bench-"));
  const own: { broker?: BrokerProcess; pool?: WorkerPool } = {};
  const cleanup = async () => {
    await own.pool?.stop();
    await own.broker?.stop();
    rmSync(tmp, { recursive: true, force: true });
  };
  const interrupted = (signal: NodeJS.Signals) => {
    note(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    if (options.idlePeers !== null) {
      const profileDir = options.profileDir === null ? null : resolve(options.profileDir);
      if (profileDir !== null) mkdirSync(profileDir, { recursive: true });
      await idleBench({ ...options, idlePeers: options.idlePeers }, tmp, own, profileDir);
    } else await bench(options, tmp, own);
  } catch (err) {
    note(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  } finally {
    await cleanup();
    process.removeListener("SIGINT", interrupted);
    process.removeListener("SIGTERM", interrupted);
  }
}

await main(process.argv.slice(2));
