/**
 * A one-line byte progress bar on stderr (file transfers): `label [████░░░░] 1.2 MiB / 5.0 MiB  24%  3.1 MiB/s`,
 * redrawn in place with `\r` and cleared when the transfer ends. {@link renderProgress} is the pure text.
 */
import type { TextStream } from "./output.js";

const BAR_WIDTH = 20;
/** The rate is shown once this much time has passed since the first report (earlier it is noise). */
const RATE_AFTER_MS = 250;

/** `512 B`, `12.3 KiB`, `4.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export interface ProgressState {
  label: string;
  done: number;
  total: number;
  /** Bytes per second, or null while unknown. */
  rate: number | null;
}

/** The bar's text for one state (no colour, no control characters). */
export function renderProgress({ label, done, total, rate }: ProgressState): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const speed = rate !== null && rate > 0 ? `  ${formatBytes(rate)}/s` : "";
  return `${label} [${bar}] ${formatBytes(done)} / ${formatBytes(total)} ${percent}${speed}`;
}

/** Draws {@link renderProgress} on a terminal stream as reports come in. */
export class ProgressBar {
  readonly #stream: TextStream;
  readonly #label: string;
  readonly #now: () => number;
  #start: { at: number; done: number } | null = null;
  #drawn = false;

  constructor(stream: TextStream, label: string, now: () => number = Date.now) {
    this.#stream = stream;
    this.#label = label;
    this.#now = now;
  }

  update(done: number, total: number): void {
    const at = this.#now();
    // A transfer that starts over (another broker of the mesh) restarts the rate too.
    if (this.#start === null || done < this.#start.done) this.#start = { at, done };
    const elapsed = at - this.#start.at;
    const rate = elapsed >= RATE_AFTER_MS ? ((done - this.#start.done) * 1000) / elapsed : null;
    this.#stream.write(`\r\u001b[2K${renderProgress({ label: this.#label, done, total, rate })}`);
    this.#drawn = true;
  }

  /** Clears the line (the command prints its result after). */
  stop(): void {
    if (this.#drawn) this.#stream.write("\r\u001b[2K");
    this.#drawn = false;
  }
}
