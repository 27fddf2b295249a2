/** Reconnect delays (protocol.md §2.8): 1, 2, 4, 8, 16, 30, 30, … s, plus jitter. */
import { RECONNECT_STEPS_MS } from "../protocol/constants.js";

export type BackoffOptions = {
  /**
   * Base delays in ms, used in order; the last one repeats.
   * @default [1000, 2000, 4000, 8000, 16000, 30000]
   */
  steps?: readonly number[];
  /**
   * Source of randomness in [0, 1) for jitter. Tests pass `() => 0` for exact delays.
   * @default Math.random
   */
  random?: () => number;
};

/** Jitter is up to this fraction of the base delay, so a fleet that lost one broker spreads out. */
const JITTER_FRACTION = 0.2;
/** Extra jitter after a broker shutdown (1001), protocol.md §2.8. */
const SHUTDOWN_JITTER_MS = 1_000;

export class Backoff {
  readonly #steps: readonly number[];
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    const steps = options.steps ?? RECONNECT_STEPS_MS;
    if (steps.length === 0 || steps.some((s) => !Number.isFinite(s) || s < 0)) {
      throw new RangeError("backoff steps must be a non-empty list of non-negative numbers");
    }
    this.#steps = steps;
    this.#random = options.random ?? Math.random;
  }

  /** Number of delays handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The longest step (30 s by default): the floor for "long backoff" after `capacity`. */
  get longest(): number {
    return Math.max(...this.#steps);
  }

  /** The next base delay without jitter, advancing the sequence. */
  nextBase(): number {
    const index = Math.min(this.#attempt, this.#steps.length - 1);
    this.#attempt += 1;
    return this.#steps[index] ?? this.longest;
  }

  /**
   * The next delay in ms: the base step plus up to 20 % jitter; `atLeast` raises the base (capacity),
   * `shutdown` adds 0–1 s (broker node stopping).
   */
  next(opts: { atLeast?: number; shutdown?: boolean } = {}): number {
    const base = Math.max(this.nextBase(), opts.atLeast ?? 0);
    const jitter = this.#random() * base * JITTER_FRACTION;
    const shutdown = opts.shutdown === true ? this.#random() * SHUTDOWN_JITTER_MS : 0;
    return Math.round(base + jitter + shutdown);
  }

  /**
   * The delay before trying another broker node within one pass over a cluster's URLs: none, except the
   * 0–1 s spread after a node shut down (1001), so its clients do not all land on the next node at once.
   */
  switchDelay(opts: { shutdown?: boolean } = {}): number {
    return opts.shutdown === true ? Math.round(this.#random() * SHUTDOWN_JITTER_MS) : 0;
  }

  /** Back to the first step (after a successful hello). */
  reset(): void {
    this.#attempt = 0;
  }
}
