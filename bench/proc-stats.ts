/** Memory and CPU of another process, read from Linux /proc (null elsewhere). */
import { readFileSync } from "node:fs";

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every Linux Node runs on. */
const CLK_TCK = 100;

export interface MemorySample {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size so far (VmHWM), bytes. */
  peakRss: number;
}

export function readMemory(pid: number): MemorySample | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    // No /proc (not Linux) or the process is gone.
    return null;
  }
  const kib = (field: string): number | null => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : null;
  };
  const rss = kib("VmRSS");
  const peakRss = kib("VmHWM");
  return rss === null || peakRss === null ? null : { rss, peakRss };
}

/** User + system CPU seconds the process has used so far. */
export function readCpuSeconds(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    // No /proc (not Linux) or the process is gone.
    return null;
  }
  // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLK_TCK : null;
}

/** Polls a process's memory so the peak survives even if /proc disappears before the end. */
export class MemoryWatcher {
  #peak = 0;
  #last: MemorySample | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 200,
  ) {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
    this.sample();
  }

  sample(): void {
    const m = readMemory(this.pid);
    if (m === null) return;
    this.#last = m;
    this.#peak = Math.max(this.#peak, m.peakRss, m.rss);
  }

  /** Peak RSS in bytes, or null when it could not be read. */
  get peakRss(): number | null {
    return this.#last === null ? null : this.#peak;
  }

  stop(): void {
    this.sample();
    clearInterval(this.#timer);
  }
}

/**
 * Samples a process's CPU use once a second and keeps the busiest second: a single-threaded broker near
 * 100% of one core is the bottleneck, whatever its average says (the run ramps up and drains).
 */
export class CpuWatcher {
  #peakPct: number | null = null;
  #last: { cpu: number; at: number } | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 1_000,
  ) {
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#timer.unref();
    this.#sample();
  }

  #sample(): void {
    const cpu = readCpuSeconds(this.pid);
    const at = performance.now();
    if (cpu === null) return;
    if (this.#last !== null && at > this.#last.at) {
      const pct = ((cpu - this.#last.cpu) / ((at - this.#last.at) / 1000)) * 100;
      this.#peakPct = Math.max(this.#peakPct ?? 0, Math.round(pct));
    }
    this.#last = { cpu, at };
  }

  /** The busiest sampled second, percent of one core; null when /proc could not be read. */
  stop(): number | null {
    clearInterval(this.#timer);
    // The last, partial second counts when it is long enough to mean something.
    if (this.#last !== null && performance.now() - this.#last.at >= 500) this.#sample();
    return this.#peakPct;
  }
}
