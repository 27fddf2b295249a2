/**
 * Whether the store takes writes. A store call that fails with a storage fault (disk full, I/O error,
 * read-only or vanished file) marks it failing: readiness answers 503 and sends are refused with
 * `store_unavailable` instead of being tried one by one. While failing, a one-row probe write runs every
 * second (and before each send batch); the first that succeeds marks the store up again and checkpoints
 * the WAL so the space it freed stays free. Each change of state is logged once, not each failed write.
 */
import type { Logger } from "../log.js";
import type { Store } from "./port/index.js";

const PROBE_INTERVAL_MS = 1_000;
/** Periodic checkpoint while healthy, so the WAL never keeps space the database no longer needs. */
const CHECKPOINT_INTERVAL_MS = 5 * 60_000;

/** SQLite result codes (extended codes start with these) and PostgreSQL SQLSTATE classes of a storage fault. */
const SQLITE_FAULTS = [
  "SQLITE_FULL",
  "SQLITE_IOERR",
  "SQLITE_READONLY",
  "SQLITE_CANTOPEN",
  "SQLITE_CORRUPT",
  "SQLITE_NOTADB",
];
/** 53: insufficient resources (53100 disk_full), 58: system error (I/O), 08: connection exception. */
const POSTGRES_FAULT_CLASSES = ["53", "58", "08"];

/** True when `err` says the storage itself fails, as opposed to a bug or a constraint. */
export function isStorageFault(err: unknown): boolean {
  if (typeof err !== "object" || err === null || !("code" in err) || typeof err.code !== "string")
    return false;
  const code = err.code;
  if (code.startsWith("SQLITE_")) return SQLITE_FAULTS.some((c) => code.startsWith(c));
  return /^[0-9A-Z]{5}$/.test(code) && POSTGRES_FAULT_CLASSES.includes(code.slice(0, 2));
}

function faultReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

export interface StoreFault {
  reason: string;
  /** When the store started failing (ms). */
  since: number;
}

export class StoreHealth {
  #fault: StoreFault | null = null;
  #probing: Promise<boolean> | null = null;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    /** Told of every change of state (the `broker_db_healthy` gauge). */
    private readonly onChange: (up: boolean) => void = () => undefined,
  ) {}

  /** The current fault, or null while writes succeed. */
  get fault(): StoreFault | null {
    return this.#fault;
  }

  start(): void {
    this.#timers.push(
      setInterval(() => {
        if (this.#fault) void this.probe();
      }, PROBE_INTERVAL_MS).unref(),
      setInterval(() => {
        if (!this.#fault) void this.checkpoint();
      }, CHECKPOINT_INTERVAL_MS).unref(),
    );
  }

  stop(): void {
    for (const t of this.#timers.splice(0)) clearInterval(t);
  }

  /**
   * Records a failed store call. Returns true when it was a storage fault (now reported through health
   * and logged on the change of state); false for any other error, which the caller logs itself.
   */
  report(err: unknown): boolean {
    if (!isStorageFault(err)) return false;
    if (!this.#fault) {
      this.#fault = { reason: faultReason(err), since: Date.now() };
      this.log.error(
        { reason: this.#fault.reason },
        "store failing: writes are refused until one succeeds again",
      );
      this.onChange(false);
    }
    return true;
  }

  /**
   * A failure of work nobody answers for (a timer, a cluster notice): a storage fault is {@link report}ed,
   * anything else logged as a warning with `message`. Never throws.
   */
  reportBackground(err: unknown, message: string): void {
    if (!this.report(err)) this.log.warn({ err }, message);
  }

  /** Whether writes may be tried: true while healthy, else the outcome of one probe write. */
  async writable(): Promise<boolean> {
    return this.#fault === null || (await this.probe());
  }

  /** One probe write while failing (concurrent callers share it); true once the store is up again. */
  probe(): Promise<boolean> {
    if (!this.#fault) return Promise.resolve(true);
    this.#probing ??= this.#probeOnce().finally(() => {
      this.#probing = null;
    });
    return this.#probing;
  }

  async #probeOnce(): Promise<boolean> {
    try {
      await this.store.probeWrite(Date.now());
    } catch (err) {
      if (!this.report(err)) this.log.error({ err }, "store probe failed");
      return false;
    }
    const fault = this.#fault;
    this.#fault = null;
    if (fault) {
      this.log.info({ failedForMs: Date.now() - fault.since }, "store recovered: writes succeed again");
      this.onChange(true);
    }
    await this.checkpoint();
    return true;
  }

  async checkpoint(): Promise<void> {
    try {
      await this.store.checkpoint();
    } catch (err) {
      // A checkpoint that fails leaves the WAL as it was; the next write or probe reports a real fault.
      this.log.warn({ err: faultReason(err) }, "WAL checkpoint failed");
    }
  }
}
