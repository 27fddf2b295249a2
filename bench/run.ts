/**
 * `npm run bench`: a load benchmark of the broker on loopback (quality.md, Performance). Starts a broker
 * process with an embedded SQLite store in a temp dir (or one or more broker nodes on a fresh PostgreSQL
 * database), creates one mesh and N members over HTTP, forks
 * worker processes hosting the peers as real MeshClient connections, has every peer send M crypto_box DMs
 * to random peers, and reports throughput, send→push latency, delivered %, duplicates and broker peak
 * RSS. Always kills its processes, deletes its temp dir and drops its database.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BrokerProcess } from "./broker-process.js";
import { startBrokerNodes, tails } from "./broker-nodes.js";
import { createBenchDatabase, type BenchDatabase } from "./database.js";
import { nodeOf, type Counters, type WorkerInit } from "./ipc.js";
import { idleBench } from "./idle.js";
import { createBenchMesh } from "./mesh-setup.js";
import { parseBenchArgs, USAGE, UsageError, type BenchOptions } from "./options.js";
import { MachineMeter } from "./machine.js";
import { CpuWatcher, MemoryWatcher, readCpuSeconds } from "./proc-stats.js";
import { PostgresCpuMeter } from "./postgres-cpu.js";
import { summarizeProfileDir, type ProfileSummary } from "./profile.js";
import { formatJson, formatTable } from "./report.js";
import { summarize, type BrokerNodeFigures } from "./summary.js";
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

/** What a run started and must stop, whatever happens: workers, brokers, its PostgreSQL database. */
export interface Owned {
  brokers: BrokerProcess[];
  pool?: WorkerPool;
  database?: BenchDatabase;
}

async function bench(options: BenchOptions, tmp: string, own: Owned, database: BenchDatabase | null) {
  const profileDir = options.profileDir === null ? null : resolve(options.profileDir);
  if (profileDir !== null) mkdirSync(profileDir, { recursive: true });
  const brokers = await startBrokerNodes(
    { tmp, count: options.nodes, databaseUrl: database?.url ?? null, profileDir },
    own.brokers,
  );
  const memory = brokers.map((b) => new MemoryWatcher(b.pid));
  brokers.forEach((b, i) =>
    note(`broker ${options.nodes === 1 ? "" : `node ${i + 1} `}pid ${b.pid} at ${b.url}`),
  );

  // The mesh is made once, through node 1 (each node has its own admin token); the rows are shared.
  const first = brokers[0]!;
  const setupStart = Date.now();
  const mesh = await createBenchMesh(first.url, first.adminToken, options.peers);
  const setupMs = Date.now() - setupStart;

  const pool = new WorkerPool(options.workers);
  own.pool = pool;
  const directory = mesh.peers.map((p) => p.publicKey);
  const urls = brokers.map((b) => b.url);
  const inits: WorkerInit[] = Array.from({ length: options.workers }, (_, w) => ({
    type: "init",
    urls,
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
  const postgresCpu =
    database === null || options.databaseUrl === null
      ? null
      : await PostgresCpuMeter.start(options.databaseUrl, database.name);
  const cpuBefore = brokers.map((b) => readCpuSeconds(b.pid));
  const machine = new MachineMeter();
  const ownBefore = process.cpuUsage();
  const cpuWatchers = brokers.map((b) => new CpuWatcher(b.pid));
  const sent = options.peers * options.msgs;
  const stalled = await pool.run("measure", stallMs, progressPrinter(sent));
  const peakCpuPercent = cpuWatchers.map((w) => w.stop());
  const cpuAfter = brokers.map((b) => readCpuSeconds(b.pid));
  machine.stop();
  const coordinatorCpu = process.cpuUsage(ownBefore);
  const postgresCpuSeconds = postgresCpu === null ? null : await postgresCpu.stop();
  const results = await pool.results();
  for (const m of memory) m.stop();
  await pool.stop();
  await Promise.all(brokers.map((b) => b.stop()));

  const brokerNodes: BrokerNodeFigures[] = brokers.map((b, i) => {
    const peakRss = memory[i]!.peakRss;
    const before = cpuBefore[i] ?? null;
    const after = cpuAfter[i] ?? null;
    const cpu = before === null || after === null ? null : after - before;
    return {
      node: i + 1,
      pid: b.pid,
      url: b.url,
      peers: mesh.peers.filter((p) => nodeOf(p.index, brokers.length) === i).length,
      peakRssMb: peakRss === null ? null : Math.round((peakRss / 1024 / 1024) * 10) / 10,
      cpuSeconds: cpu === null ? null : Math.round(cpu * 100) / 100,
      peakCpuPercent: peakCpuPercent[i] ?? null,
    };
  });
  const benchCpu =
    brokerNodes.reduce((n, b) => n + (b.cpuSeconds ?? 0), 0) +
    (postgresCpuSeconds ?? 0) +
    (coordinatorCpu.user + coordinatorCpu.system) / 1e6 +
    results.reduce((n, r) => n + r.cpuSeconds, 0);
  const summary = summarize(options, results, {
    brokerNodes,
    postgresCpuSeconds,
    database: database?.label ?? null,
    machine: machine.figures(benchCpu),
    setupMs,
    connectMs,
    stalled,
  });
  const profiles = profileDir === null ? [] : profilesOf(profileDir, brokers);
  process.stdout.write(`${options.json ? formatJson(summary, profiles) : formatTable(summary, profiles)}\n`);
  // Delivery guarantees fail the run; the speed targets are reported, not enforced.
  const correct =
    summary.delivered === summary.sent &&
    summary.duplicates === 0 &&
    summary.warmupDuplicates === 0 &&
    !summary.stalled;
  if (!correct) process.exitCode = 1;
  if (summary.errors > 0 || !correct) note(`broker log (last lines):\n${tails(brokers)}`);
}

/** Each node's main-thread profile, titled by node when there are several. */
function profilesOf(dir: string, brokers: BrokerProcess[]): ProfileSummary[] {
  return brokers.flatMap((b, i) => {
    const p = summarizeProfileDir(dir, 20, b.pid);
    if (p === null) return [];
    return brokers.length === 1 ? [p] : [{ ...p, title: `broker node ${i + 1}` }];
  });
}

async function main(argv: string[]): Promise<void> {
  let options: BenchOptions | null;
  try {
    options = parseBenchArgs(argv, process.env);
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
  const own: Owned = { brokers: [] };
  const cleanup = async () => {
    await own.pool?.stop();
    await Promise.all(own.brokers.map((b) => b.stop()));
    rmSync(tmp, { recursive: true, force: true });
    const database = own.database;
    if (database !== undefined) {
      await database.drop().catch((err: unknown) => {
        note(
          `could not drop ${database.label} (${err instanceof Error ? err.message : String(err)}): ` +
            `drop it with DROP DATABASE ${database.name}`,
        );
        process.exitCode = 1;
      });
    }
  };
  const interrupted = (signal: NodeJS.Signals) => {
    note(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const database =
      options.databaseUrl === null ? null : await createBenchDatabase(options.databaseUrl, own);
    if (database !== null) note(`fresh database ${database.label}`);
    if (options.idlePeers !== null) {
      const profileDir = options.profileDir === null ? null : resolve(options.profileDir);
      if (profileDir !== null) mkdirSync(profileDir, { recursive: true });
      await idleBench({ ...options, idlePeers: options.idlePeers }, tmp, own, profileDir, database);
    } else await bench(options, tmp, own, database);
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
