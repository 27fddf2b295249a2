/**
 * A benchmark worker process (forked by run.ts): hosts a share of the peers as real MeshClient
 * connections, runs each phase on command, reports progress every 250 ms and its result at the end.
 */
import { boxSharedKey } from "../src/crypto/index.js";
import type { FromWorker, PeerStatus, Phase, ToWorker, WorkerInit, WorkerResult } from "./ipc.js";
import { PeerRunner, type PhaseRecorders } from "./peer.js";
import { nowMs, Recorder } from "./recorder.js";

const PROGRESS_INTERVAL_MS = 250;
/**
 * Connections each worker opens at once: enough to keep the broker busy with thousands of peers, few
 * enough that no hello waits in the broker's queue anywhere near the client's 5 s hello timeout.
 */
const CONNECT_CONCURRENCY = 64;
/** Key pairs agreed before measuring, at most (the shared-key cache holds 16,384). */
const PRECOMPUTED_PAIRS = 10_000;

let runners: PeerRunner[] = [];
let recorders: PhaseRecorders | null = null;
let progressTimer: NodeJS.Timeout | null = null;
let statusTimer: NodeJS.Timeout | null = null;
const status: PeerStatus = {
  connected: 0,
  lastConnectedAt: null,
  systemFrames: 0,
  peerEvents: 0,
  omittedEvents: 0,
};
/** Set once the coordinator said stop or went away; failures after that are expected. */
let stopping = false;

function post(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}

/** Sends and waits until the message has left: a large one is still being written when `send` returns. */
function postAndWait(message: FromWorker): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.connected || !process.send) return resolve();
    process.send(message, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

async function setUp(init: WorkerInit): Promise<void> {
  // A real peer agrees a crypto_box key with a counterpart once and keeps it; here every peer talks to
  // every other within seconds, so the agreements (~0.3 ms each) are made before measuring, not during
  // (as many as the shared-key cache keeps), and before the connect time starts.
  if (init.peers.length * init.directory.length <= PRECOMPUTED_PAIRS) {
    for (const peer of init.peers) {
      for (const other of init.directory) if (other !== peer.publicKey) boxSharedKey(other, peer.secretKey);
    }
  }
  const started = nowMs();
  const peerCount = init.directory.length;
  const recs: PhaseRecorders = {
    warmup: new Recorder(peerCount, init.warmup),
    measure: new Recorder(peerCount, init.msgs),
  };
  recorders = recs;
  runners = init.peers.map((peer) => new PeerRunner(peer, init, recs, status));
  let next = 0;
  const connectSome = async () => {
    while (next < runners.length) await runners[next++]!.connect();
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, connectSome));
  const doneAt = nowMs();
  post({ type: "ready", connectMs: doneAt - started, startedAt: started, doneAt });
  statusTimer = setInterval(() => post({ type: "status", ...status }), PROGRESS_INTERVAL_MS);
}

async function run(phase: Phase, startAt: number): Promise<void> {
  if (recorders === null) throw new Error("start before init");
  const rec = recorders[phase];
  if (progressTimer !== null) clearInterval(progressTimer);
  progressTimer = setInterval(
    () => post({ type: "progress", phase, ...rec.counters() }),
    PROGRESS_INTERVAL_MS,
  );
  const wait = startAt - nowMs();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  rec.start();
  await Promise.all(runners.map((runner) => runner.run(phase, startAt)));
  rec.doneSending = true;
  post({ type: "progress", phase, ...rec.counters() });
}

/** The measured phase's result, with what went wrong in the warm-up folded in. */
function result(recs: PhaseRecorders): WorkerResult {
  const measured = recs.measure.result();
  const errorKinds = { ...measured.errorKinds };
  for (const [kind, n] of Object.entries(recs.warmup.errorKinds)) errorKinds[`warmup_${kind}`] = n;
  return {
    ...measured,
    errors: measured.errors + recs.warmup.errors,
    errorKinds,
    warmupDuplicates: recs.warmup.duplicates,
  };
}

async function finish(): Promise<void> {
  stopping = true;
  if (progressTimer !== null) clearInterval(progressTimer);
  if (statusTimer !== null) clearInterval(statusTimer);
  // Disconnecting drops what is still queued on the channel: the result (every latency sample) first.
  if (recorders !== null) await postAndWait({ type: "result", ...result(recorders) });
  await Promise.all(runners.map((runner) => runner.close()));
  if (process.connected) process.disconnect();
}

function fatal(err: unknown): void {
  if (stopping) return;
  const message = err instanceof Error ? err.message : String(err);
  if (process.connected) post({ type: "fatal", message });
  else process.stderr.write(`bench worker: ${err instanceof Error ? err.stack : message}\n`);
}

process.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "init":
      setUp(message).catch(fatal);
      break;
    case "start":
      run(message.phase, message.at).catch(fatal);
      break;
    case "finish":
      finish().catch(fatal);
      break;
  }
});
process.on("disconnect", () => {
  // The coordinator is gone: nothing left to report to.
  stopping = true;
  if (progressTimer !== null) clearInterval(progressTimer);
  if (statusTimer !== null) clearInterval(statusTimer);
  void Promise.all(runners.map((runner) => runner.close()));
});
