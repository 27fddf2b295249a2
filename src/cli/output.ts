/**
 * The CLI's one output formatter. Verbs never touch `console` or `process.stdout`: they write through an
 * {@link Output} bound to an injected sink, which knows about `--json`, colour (TTY only, honours
 * NO_COLOR/FORCE_COLOR), aligned tables and a spinner that appears on waits over a second (TTY only).
 */
import { stripVTControlCharacters } from "node:util";
import type { Failure } from "./errors.js";
import { ProgressBar } from "./progress.js";

export const SCHEMA_VERSION = "1";

export interface TextStream {
  /** `done` is called once the text is handed on (with an error when it could not be). */
  write(text: string, done?: (error?: Error | null) => void): unknown;
  isTTY?: boolean;
}

/** What the CLI reads and writes: the process's streams in production, buffers in tests. */
export interface Io {
  stdout: TextStream;
  stderr: TextStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export interface Colors {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

function colors(enabled: boolean): Colors {
  const wrap = (open: number, close: number) => (s: string) =>
    enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

function colorEnabled(stream: TextStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

/** The colour codes {@link colors} writes: the only escape sequences human output lets through. */
// eslint-disable-next-line no-control-regex
const OWN_STYLE = /(\u001b\[(?:1|2|22|31|32|33|36|39)m)/;
/**
 * What a terminal would act on rather than show: C0 controls but tab and newline (escape, carriage return,
 * bell…), DEL, C1 controls, and the bidirectional overrides and isolates that reorder what is shown.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` made safe to write to a terminal: every control character becomes U+FFFD, except tab, newline and
 * the CLI's own colour codes. Human output carries text peers chose (names, summaries, message bodies,
 * file names), which must never reach the terminal as escape sequences (clearing the screen, setting the
 * title or the clipboard, hiding or overwriting text).
 */
export function terminalSafe(text: string): string {
  return text
    .split(OWN_STYLE)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(UNSAFE, "\uFFFD")))
    .join("");
}

/** Visible width of a string (ANSI colour codes do not count). */
export function visibleWidth(s: string): number {
  return [...stripVTControlCharacters(s)].length;
}

export interface Column {
  header: string;
  /** @default "left" */
  align?: "left" | "right";
}

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** Waits shorter than this show no spinner at all. */
const SPINNER_DELAY_MS = 1_000;

export class Output {
  readonly json: boolean;
  /** Colours for stdout. */
  readonly c: Colors;
  readonly #io: Io;
  readonly #errColors: Colors;

  constructor(io: Io, options: { json: boolean }) {
    this.#io = io;
    this.json = options.json;
    this.c = colors(!options.json && colorEnabled(io.stdout, io.env));
    this.#errColors = colors(colorEnabled(io.stderr, io.env));
  }

  get isTTY(): boolean {
    return this.#io.stdout.isTTY === true;
  }

  /** A line of human output on stdout (nothing in `--json` mode). */
  line(text = ""): void {
    if (!this.json) this.#io.stdout.write(`${terminalSafe(text)}\n`);
  }

  /** Text on stdout exactly as given (log lines), in both modes. */
  raw(text: string): void {
    this.#io.stdout.write(text);
  }

  /** A note on stderr (progress, warnings); shown in both modes since stdout stays clean. */
  /**
   * Writes `text` and resolves once the stream has handed it on; rejects when it could not (the reader is
   * gone). For text whose delivery is recorded afterwards (a hook marks a message shown only after this).
   */
  handOn(to: "stdout" | "stderr", text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#io[to].write(text, (error) => (error ? reject(error) : resolve()));
    });
  }

  note(text: string): void {
    this.#io.stderr.write(`${terminalSafe(text)}\n`);
  }

  warn(text: string): void {
    this.#io.stderr.write(`${this.#errColors.yellow("warning:")} ${terminalSafe(text)}\n`);
  }

  /** One JSON document on stdout, with `schema_version` first. */
  data(value: Record<string, unknown>): void {
    this.#io.stdout.write(`${JSON.stringify({ schema_version: SCHEMA_VERSION, ...value })}\n`);
  }

  /** One JSON value per line (streams: `inbox --follow --json`). */
  jsonLine(value: unknown): void {
    this.#io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** `--json` → {@link data}; otherwise runs `human`. */
  result(value: Record<string, unknown>, human: () => void): void {
    if (this.json) this.data(value);
    else human();
  }

  /** An aligned table on stdout; an empty table prints `empty` instead. */
  table(columns: readonly Column[], rows: readonly (readonly string[])[], empty = "(none)"): void {
    if (this.json) return;
    if (rows.length === 0) {
      this.line(this.c.dim(empty));
      return;
    }
    const widths = columns.map((col, i) =>
      Math.max(visibleWidth(col.header), ...rows.map((row) => visibleWidth(row[i] ?? ""))),
    );
    const render = (cells: readonly string[], header: boolean): string =>
      cells
        .map((cell, i) => {
          const pad = " ".repeat(Math.max(0, (widths[i] ?? 0) - visibleWidth(cell)));
          const last = i === cells.length - 1;
          if (columns[i]?.align === "right") return pad + cell;
          return last ? cell : cell + pad;
        })
        .map((cell) => (header ? this.c.bold(cell) : cell))
        .join("  ")
        .trimEnd();
    this.line(
      render(
        columns.map((col) => col.header),
        true,
      ),
    );
    for (const row of rows) this.line(render(row, false));
  }

  /** A spinner on stderr that shows only on a TTY and only once the wait passes a second. */
  spinner(text: string): Spinner {
    const stream = this.#io.stderr;
    if (stream.isTTY !== true || this.#io.env.CI) return { update: () => undefined, stop: () => undefined };
    let label = text;
    let frame = 0;
    let drawn = false;
    let ticker: NodeJS.Timeout | undefined;
    const draw = (): void => {
      drawn = true;
      stream.write(
        `\r\u001b[2K${this.#errColors.cyan(FRAMES[frame % FRAMES.length] ?? "")} ${terminalSafe(label)}`,
      );
      frame += 1;
    };
    const starter = setTimeout(() => {
      draw();
      ticker = setInterval(draw, 80);
      ticker.unref();
    }, SPINNER_DELAY_MS);
    starter.unref();
    return {
      update: (next) => {
        label = next;
      },
      stop: () => {
        clearTimeout(starter);
        if (ticker) clearInterval(ticker);
        if (drawn) stream.write("\r\u001b[2K");
      },
    };
  }

  /**
   * A byte progress bar on stderr labelled `label`, or null when none shows: with `--json`, when stderr is
   * not a terminal, or under CI.
   */
  progress(label: string): ProgressBar | null {
    const stream = this.#io.stderr;
    if (this.json || stream.isTTY !== true || this.#io.env.CI) return null;
    return new ProgressBar(stream, terminalSafe(label));
  }

  /** Runs `work` with a spinner labelled `text`. */
  async waitFor<T>(text: string, work: (spinner: Spinner) => Promise<T>): Promise<T> {
    const spinner = this.spinner(text);
    try {
      return await work(spinner);
    } finally {
      spinner.stop();
    }
  }

  /**
   * The error report: a JSON document on stderr with `--json` (`hint` left out when there is none), else one
   * line (plus details, if any).
   */
  failure(failure: Failure, details = ""): void {
    if (this.json) {
      const { code, message, hint } = failure;
      const error = hint === "" ? { code, message } : { code, message, hint };
      this.#io.stderr.write(`${JSON.stringify({ schema_version: SCHEMA_VERSION, error })}\n`);
      return;
    }
    const c = this.#errColors;
    const hint = failure.hint === "" ? "" : ` ${c.dim("—")} ${failure.hint}`;
    this.#io.stderr.write(terminalSafe(`${c.red("error:")} ${failure.message}${hint}\n`));
    if (details !== "") {
      this.#io.stderr.write(
        `${details
          .split("\n")
          .map((l) => c.dim(`  │ ${terminalSafe(l)}`))
          .join("\n")}\n`,
      );
    }
  }
}
