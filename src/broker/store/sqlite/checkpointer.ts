/**
 * WAL checkpoints on a worker thread with its own connection, so copying the log into the database and the
 * two fsyncs that come with it never block the event loop (they were the broker's latency tail). The main
 * connection's automatic checkpoints are turned off; the worker runs a PASSIVE checkpoint (which never
 * blocks writers) every {@link CHECKPOINT_INTERVAL_MS}, and a RESTART one when the log has outgrown
 * {@link RESTART_FRAMES} anyway (a writer that never pauses leaves a passive checkpoint no moment to catch
 * up, and the log must not grow without end). `truncate()` runs a TRUNCATE checkpoint there on request.
 *
 * A RESTART or TRUNCATE holds the write lock, so every commit waits while it syncs the log, copies what
 * the last passive checkpoint left and syncs the database file. Passive checkpoints that never catch up
 * never sync the database file, so that last sync had all their copying to flush (24 ms of a 48 ms wait
 * at 1,000 messages a second on a virtual disk). Before either, the worker therefore syncs the database
 * file itself, through a descriptor of its own, and runs another passive checkpoint, {@link
 * CATCH_UP_ROUNDS} times: what is left for the lock holder is a short log to sync and copy and few pages
 * to flush. At 1,000 messages a second that took the waits from 16 to 41 ms to 1 to 16 ms.
 */
import { closeSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export const CHECKPOINT_INTERVAL_MS = 200;
/** Log frames (pages) after which the worker waits for writers to let it catch up (~64 MiB). */
export const RESTART_FRAMES = 16_384;
/** Rounds of "sync the database file, passive checkpoint" before a RESTART (two halved the wait again). */
export const CATCH_UP_ROUNDS = 2;

/**
 * The worker's code. A string run with `eval`, so the same file serves the compiled package and the test
 * runner; the driver's resolved path comes in `workerData`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { fdatasyncSync } = require("node:fs");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
const checkpoint = (mode) => db.pragma("wal_checkpoint(" + mode + ")")[0];
// Before a checkpoint that holds the write lock (RESTART, TRUNCATE): as little as possible left for it.
const catchUp = () => {
  for (let round = 0; round < workerData.catchUpRounds; round++) {
    fdatasyncSync(workerData.databaseFd);
    checkpoint("PASSIVE");
  }
};
let timer = setInterval(() => {
  try {
    const { log } = checkpoint("PASSIVE");
    if (log >= workerData.restartFrames) {
      catchUp();
      checkpoint("RESTART");
    }
  } catch (err) {
    parentPort.postMessage({ type: "error", message: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on("message", (msg) => {
  if (msg.type === "truncate") {
    try {
      catchUp();
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
  /**
   * The database file, for the worker's own syncs. Closed by {@link closeFile} only after every SQLite
   * connection of this process to the file is closed: closing any descriptor of a file drops all the
   * process's POSIX locks on it, SQLite's included.
   */
  #databaseFd: number | null;
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
    const databaseFd = openSync(path, "r");
    this.#databaseFd = databaseFd;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver,
        path,
        databaseFd,
        intervalMs: CHECKPOINT_INTERVAL_MS,
        restartFrames: RESTART_FRAMES,
        catchUpRounds: CATCH_UP_ROUNDS,
      },
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

  /** Closes the worker's descriptor of the database file; call after {@link stop} and the last `db.close()`. */
  closeFile(): void {
    if (this.#databaseFd === null) return;
    closeSync(this.#databaseFd);
    this.#databaseFd = null;
  }

  private failWaiting(err: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(err);
    this.waiting.clear();
  }
}
