/**
 * The whole machine during a phase of a run: how busy its cores were, how much of that went to other
 * processes, how much the hypervisor took (steal), and how often the machine stopped running processes
 * altogether (pauses). On a virtual machine whose cores are all busy, the host may deschedule it for tens
 * of milliseconds at a time; every message in flight then waits that long, which the latency tail shows
 * and no change to the broker can remove.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";

/** Clock ticks per second in /proc/stat; 100 on every Linux Node runs on. */
const CLK_TCK = 100;
/** How often the pause probe wakes. */
const PROBE_INTERVAL_MS = 5;
/** A wake-up this much later than due counts as a pause of the machine. */
export const PAUSE_THRESHOLD_MS = 10;

export interface MachineFigures {
  cores: number;
  /** Busy share of all cores, percent (steal included: those cores had work). */
  busyPct: number | null;
  /** Share of all cores used by processes other than the benchmark's, percent. */
  othersPct: number | null;
  /** Share of all cores the hypervisor gave to something else while this machine had work, percent. */
  stealPct: number | null;
  /**
   * Wake-ups of an otherwise idle timer in the benchmark's own process that came
   * {@link PAUSE_THRESHOLD_MS} or more late: for that long no process of the machine ran (the host
   * descheduled it, or every core was held by the kernel).
   */
  pauses: { count: number; longestMs: number; lostMs: number };
}

interface MachineCpu {
  /** CPU seconds all cores spent busy (not idle, not waiting for I/O) since boot, steal included. */
  busy: number;
  /** CPU seconds the hypervisor took from this machine's cores since boot. */
  steal: number;
  /** CPU seconds of all cores since boot. */
  total: number;
}

/** Machine-wide CPU time from /proc/stat; null where there is none (not Linux). */
function readMachineCpu(): MachineCpu | null {
  let stat: string;
  try {
    stat = readFileSync("/proc/stat", "utf8");
  } catch {
    return null;
  }
  const line = stat.split("\n", 1)[0] ?? "";
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (line.split(/\s+/)[0] !== "cpu" || ticks.length < 5 || ticks.some((n) => !Number.isFinite(n)))
    return null;
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: (total - idle) / CLK_TCK, steal: (ticks[7] ?? 0) / CLK_TCK, total: total / CLK_TCK };
}

/**
 * Measures the machine from construction to {@link stop}. The pause probe is a timer in this process,
 * which otherwise sleeps while the workers and brokers run: the scheduler hands a waking, mostly idle
 * process a core within a millisecond or two, so a wake-up 10 ms late means nothing ran at all.
 */
export class MachineMeter {
  readonly #before = readMachineCpu();
  readonly #pauses = { count: 0, longestMs: 0, lostMs: 0 };
  #due = performance.now() + PROBE_INTERVAL_MS;
  readonly #probe: NodeJS.Timeout;
  #after: MachineCpu | null = null;

  constructor() {
    this.#probe = setInterval(() => {
      const now = performance.now();
      const late = now - this.#due;
      if (late >= PAUSE_THRESHOLD_MS) {
        this.#pauses.count += 1;
        this.#pauses.longestMs = Math.max(this.#pauses.longestMs, late);
        this.#pauses.lostMs += late;
      }
      this.#due = now + PROBE_INTERVAL_MS;
    }, PROBE_INTERVAL_MS);
    this.#probe.unref();
  }

  /** Ends the measured span. */
  stop(): void {
    clearInterval(this.#probe);
    this.#after ??= readMachineCpu();
  }

  /**
   * The figures from construction to {@link stop} (or to now). `benchCpu`: CPU seconds the benchmark's
   * own processes used in that span (the rest of the busy time, steal aside, went to other processes).
   */
  figures(benchCpu: number): MachineFigures {
    this.stop();
    const before = this.#before;
    const after = this.#after;
    const pauses = {
      count: this.#pauses.count,
      longestMs: Math.round(this.#pauses.longestMs * 10) / 10,
      lostMs: Math.round(this.#pauses.lostMs),
    };
    const cores = availableParallelism();
    if (before === null || after === null || after.total <= before.total) {
      return { cores, busyPct: null, othersPct: null, stealPct: null, pauses };
    }
    const total = after.total - before.total;
    const busy = after.busy - before.busy;
    const pct = (n: number) => Math.max(0, Math.round((n / total) * 100));
    return {
      cores,
      busyPct: pct(busy),
      othersPct: pct(busy - after.steal + before.steal - benchCpu),
      stealPct: pct(after.steal - before.steal),
      pauses,
    };
  }
}

/** A report's two machine rows for a phase: how busy, and how often it paused. */
export function machineRows(phase: string, m: MachineFigures): [string, string][] {
  const busy =
    m.busyPct === null
      ? `${m.cores} cores`
      : `${m.cores} cores, ${m.busyPct}% busy (steal ${m.stealPct ?? "-"}%), ` +
        `${m.othersPct ?? "-"}% taken by other processes`;
  const p = m.pauses;
  const pauses =
    p.count === 0 ? "none" : `${p.count}, longest ${p.longestMs.toFixed(1)} ms, ${p.lostMs} ms in all`;
  return [
    [`machine ${phase}`, busy],
    [`  pauses of ${PAUSE_THRESHOLD_MS} ms or more`, pauses],
  ];
}
