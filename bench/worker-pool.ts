/** The coordinator's side of the worker processes: fork, hand out peers, start together, watch, collect. */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Counters, FromWorker, PeerStatus, Phase, ToWorker, WorkerInit, WorkerResult } from "./ipc.js";

const WORKER = fileURLToPath(new URL("./worker.js", import.meta.url));
/** Connecting may take this long per peer on a slow machine, and never less than 2 minutes in all. */
const READY_MS_PER_PEER = 30;
const READY_MIN_TIMEOUT_MS = 120_000;
const RESULT_TIMEOUT_MS = 30_000;
/** Head start so every worker has the start message before the first send is due. */
const START_DELAY_MS = 300;
/** How long to wait for stragglers once every accepted message arrived but some sends failed. */
const SETTLE_MS = 2_000;

interface Slot {
  child: ChildProcess;
  /** The current phase's counters, from the worker's latest progress report. */
  counters: Counters;
  /** The worker's peers, from its latest status report. */
  status: PeerStatus;
  /** How many peers it hosts. */
  peers: number;
  ready: Promise<ConnectTimes>;
  result: Promise<WorkerResult>;
  exited: Promise<void>;
}

export class WorkerPool {
  readonly #slots: Slot[];
  #failure: Error | null = null;
  #stopping = false;
  #phase: Phase = "warmup";

  constructor(count: number) {
    this.#slots = Array.from({ length: count }, () => this.#spawn());
  }

  #spawn(): Slot {
    const child = fork(WORKER, [], {
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const counters = zeroCounters(false);
    const status: PeerStatus = {
      connected: 0,
      lastConnectedAt: null,
      systemFrames: 0,
      peerEvents: 0,
      omittedEvents: 0,
    };
    const ready = deferred<ConnectTimes>();
    const result = deferred<WorkerResult>();
    const fail = (err: Error) => {
      this.#failure ??= err;
      ready.reject(err);
      result.reject(err);
    };
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.on("message", (message: FromWorker) => {
      switch (message.type) {
        case "ready":
          ready.resolve({
            connectMs: message.connectMs,
            startedAt: message.startedAt,
            doneAt: message.doneAt,
          });
          break;
        case "status": {
          const { type: _type, ...rest } = message;
          Object.assign(status, rest);
          break;
        }
        case "progress":
          if (message.phase === this.#phase) Object.assign(counters, pickCounters(message));
          break;
        case "result": {
          const { type: _type, ...rest } = message;
          result.resolve(rest);
          break;
        }
        case "fatal":
          fail(new Error(`a bench worker failed: ${message.message}`));
          break;
      }
    });
    child.once("exit", (code, signal) => {
      if (!this.#stopping) fail(new Error(`a bench worker exited early (${signal ?? `code ${code}`})`));
    });
    return { child, counters, status, peers: 0, ready: ready.promise, result: result.promise, exited };
  }

  /**
   * Connects every peer: `init[i]` goes to worker `i`. Resolves with the slowest worker's connect time,
   * and the first connect's start and the last one's end over all workers.
   */
  async connect(inits: WorkerInit[]): Promise<ConnectTimes> {
    this.#slots.forEach((slot, i) => {
      slot.peers = inits[i]!.peers.length;
      this.#post(slot, inits[i]!);
    });
    const peers = inits.reduce((n, init) => n + init.peers.length, 0);
    const timeoutMs = Math.max(READY_MIN_TIMEOUT_MS, peers * READY_MS_PER_PEER);
    const times = await withTimeout(
      Promise.all(this.#slots.map((s) => s.ready)),
      timeoutMs,
      "peers did not connect in time",
    );
    return {
      connectMs: Math.max(...times.map((t) => t.connectMs)),
      startedAt: Math.min(...times.map((t) => t.startedAt)),
      doneAt: Math.max(...times.map((t) => t.doneAt)),
    };
  }

  /** Every worker's peer status added up (as of their latest reports, at most 250 ms old). */
  status(): PeerStatus {
    const total: PeerStatus = {
      connected: 0,
      lastConnectedAt: null,
      systemFrames: 0,
      peerEvents: 0,
      omittedEvents: 0,
    };
    for (const { status: s } of this.#slots) {
      total.connected += s.connected;
      total.systemFrames += s.systemFrames;
      total.peerEvents += s.peerEvents;
      total.omittedEvents += s.omittedEvents;
      if (s.lastConnectedAt !== null)
        total.lastConnectedAt = Math.max(total.lastConnectedAt ?? 0, s.lastConnectedAt);
    }
    return total;
  }

  /**
   * When every worker's peers all had a hello_ack after `since` (ms since the epoch): the last of those
   * hello_acks; null while some peer is not back yet.
   */
  reconnectedSince(since: number): number | null {
    let last = since;
    for (const slot of this.#slots) {
      const { connected, lastConnectedAt } = slot.status;
      if (connected < slot.peers || lastConnectedAt === null || lastConnectedAt <= since) return null;
      last = Math.max(last, lastConnectedAt);
    }
    return last;
  }

  /** The worker processes' ids (for their CPU time). */
  pids(): number[] {
    return this.#slots.map((s) => s.child.pid ?? 0).filter((pid) => pid > 0);
  }

  /** Throws the first worker failure, if any. */
  check(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  /**
   * Runs `phase` everywhere and waits until every message arrived, or (after failed sends) every
   * accepted one, or nothing moved for `stallMs`. Resolves with whether it stalled.
   */
  async run(phase: Phase, stallMs: number, onProgress: (total: Counters) => void): Promise<boolean> {
    this.#phase = phase;
    for (const slot of this.#slots) Object.assign(slot.counters, zeroCounters(false));
    const at = Date.now() + START_DELAY_MS;
    for (const slot of this.#slots) this.#post(slot, { type: "start", phase, at });
    let lastKey = "";
    let lastChange = Date.now();
    let stalled = false;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (this.#failure !== null) throw this.#failure;
      const total = this.totals();
      onProgress(total);
      if (total.doneSending && total.received >= total.attempted) break;
      const key = `${total.attempted}|${total.accepted}|${total.received}|${total.duplicates}|${total.errors}`;
      if (key !== lastKey) {
        lastKey = key;
        lastChange = Date.now();
      } else if (
        total.doneSending &&
        total.received >= total.accepted &&
        Date.now() - lastChange > SETTLE_MS
      ) {
        // Some sends failed for good: everything the broker accepted is in, and nothing else is moving.
        break;
      } else if (Date.now() - lastChange > stallMs) {
        stalled = true;
        break;
      }
    }
    return stalled;
  }

  /** Collects every worker's result of the measured phase; the workers then close and exit. */
  async results(): Promise<WorkerResult[]> {
    // From here on, workers exit on their own once they have reported.
    this.#stopping = true;
    for (const slot of this.#slots) this.#post(slot, { type: "finish" });
    return withTimeout(
      Promise.all(this.#slots.map((s) => s.result)),
      RESULT_TIMEOUT_MS,
      "workers did not report their results",
    );
  }

  /** The current phase's counters over all workers. */
  totals(): Counters {
    const total = zeroCounters(true);
    for (const { counters: c } of this.#slots) {
      total.attempted += c.attempted;
      total.accepted += c.accepted;
      total.received += c.received;
      total.duplicates += c.duplicates;
      total.errors += c.errors;
      total.doneSending &&= c.doneSending;
    }
    return total;
  }

  /** Ends every worker: a moment to close its connections, then SIGKILL. Safe to call twice. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.child.exitCode !== null || slot.child.signalCode !== null) return;
        const timer = setTimeout(() => slot.child.kill("SIGKILL"), 3_000);
        if (slot.child.connected) slot.child.disconnect();
        await slot.exited;
        clearTimeout(timer);
      }),
    );
  }

  #post(slot: Slot, message: ToWorker): void {
    if (slot.child.connected) slot.child.send(message);
  }
}

export interface ConnectTimes {
  /** The slowest worker's time from its first connect to its last hello_ack. */
  connectMs: number;
  /** The first connect's start and the last hello_ack, ms since the epoch, over all workers. */
  startedAt: number;
  doneAt: number;
}

function zeroCounters(doneSending: boolean): Counters {
  return { attempted: 0, accepted: 0, received: 0, duplicates: 0, errors: 0, doneSending };
}

function pickCounters(c: Counters): Counters {
  return {
    attempted: c.attempted,
    accepted: c.accepted,
    received: c.received,
    duplicates: c.duplicates,
    errors: c.errors,
    doneSending: c.doneSending,
  };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (err: Error) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Rejections are read where the promise is awaited; an unawaited one is not "unhandled".
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (${ms / 1000} s)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
