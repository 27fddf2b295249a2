/**
 * WAL checkpoints on a worker thread with its own connection, so copying the log into the database and the
 * two fsyncs that come with it never block the event loop (they were the broker's latency tail). The main
 * connection's automatic checkpoints are turned off; the worker runs a PASSIVE checkpoint (which never
 * blocks writers) every {@link CHECKPOINT_INTERVAL_MS}, and a RESTART one when the log has outgrown
 * {@link RESTART_FRAMES} anyway (a writer that never pauses leaves a passive checkpoint no moment to catch
 * up, and the log must not grow without end). `truncate()` runs a TRUNCATE checkpoint there on request.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export const CHECKPOINT_INTERVAL_MS = 200;
/** Log frames (pages) after which the worker waits for writers to let it catch up (~64 MiB). */
export const RESTART_FRAMES = 16_384;

/**
 * The worker's code. A string run with `eval`, so the same file serves the compiled package and the test
 * runner; the driver's resolved path comes in `workerData`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
const checkpoint = (mode) => db.pragma("wal_checkpoint(" + mode + ")")[0];
let timer = setInterval(() => {
  try {
    const { log } = checkpoint("PASSIVE");
    if (log >= workerData.restartFrames) checkpoint("RESTART");
  } catch (err) {
    parentPort.postMessage({ type: "error", message: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on("message", (msg) => {
  if (msg.type === "truncate") {
    try {
      checkpoint("TRUNCATE");
      parentPort.postMessage({ type: "done", id: msg.id });
    } catch (err) {
      parentPort.postMessage({ type: "done", id: msg.id, error: String(err && err.message || err), code: err && err.code });
    }
  } else if (msg.type === "stop") {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
`;

type FromWorker =
  { type: "done"; id: number; error?: string; code?: string } | { type: "error"; message: string };

export class Checkpointer {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private stopped: Promise<void> | null = null;
  private exited = false;

  constructor(
    path: string,
    /** Told of a failed background checkpoint (the next write or probe reports a real fault). */
    onError: (message: string) => void,
    /** Told when the worker ended without being stopped: checkpoints are the main connection's again. */
    onLost: () => void,
  ) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, path, intervalMs: CHECKPOINT_INTERVAL_MS, restartFrames: RESTART_FRAMES },
    });
    this.worker.unref();
    this.worker.on("message", (msg: FromWorker) => {
      if (msg.type === "error") {
        onError(msg.message);
        return;
      }
      const waiter = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      if (!waiter) return;
      if (msg.error === undefined) waiter.resolve();
      else waiter.reject(Object.assign(new Error(msg.error), { code: msg.code }));
    });
    this.worker.once("exit", () => {
      this.exited = true;
      this.failWaiting(new Error("the checkpointer stopped"));
      if (!this.stopped) onLost();
    });
    this.worker.on("error", (err) => {
      onError(err.message);
      this.failWaiting(err);
    });
  }

  /** Whether the worker is there to checkpoint (not stopped, not ended). */
  get running(): boolean {
    return !this.stopped && !this.exited;
  }

  /** A TRUNCATE checkpoint: the log is copied in and the -wal file shrinks to zero bytes. */
  truncate(): Promise<void> {
    // A message to a worker that has ended is dropped without a word: it would never be answered.
    if (!this.running) return Promise.reject(new Error("the checkpointer is not running"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ type: "truncate", id });
    });
  }

  /** Stops the worker after what it is doing; safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      this.worker.once("exit", () => resolve());
      this.worker.postMessage({ type: "stop" });
    });
    return this.stopped;
  }

  private failWaiting(err: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(err);
    this.waiting.clear();
  }
}
