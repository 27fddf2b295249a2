/**
 * The CLI entry: `main(argv)` (called by bin/claudemesh.js) parses with the command table, runs the verb,
 * and turns every failure into one message and exit code (errors.ts). Only this file touches
 * `process.exit` and signal handlers.
 */
import { commandEnded } from "./cleanup.js";
import { listsAMesh } from "../host/config-peek.js";
import { packageVersion } from "../host/version.js";
import type { Context, VerbDef } from "./command.js";
import { describeError, ExitCode } from "./errors.js";
import { overviewHelp, verbHelp } from "./help.js";
import { Output, type Io, type TextStream } from "./output.js";
import { optionKey, parseArgv } from "./parse.js";
import { verbsFor } from "./verb-index.js";

function buildContext(
  verb: VerbDef,
  operands: Array<string | string[] | undefined>,
  options: Record<string, unknown>,
  rest: string[],
  io: Io,
  out: Output,
  signal: AbortSignal,
): Context {
  const args: Record<string, string | undefined> = {};
  let argv: string[] = [];
  (verb.args ?? []).forEach((arg, i) => {
    const value = operands[i];
    if (Array.isArray(value)) {
      argv = value;
      args[arg.name] = value.length > 0 ? value.join(" ") : undefined;
    } else {
      args[arg.name] = value;
    }
  });
  const flags: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(verb.flags ?? {})) {
    const value = options[optionKey(name)];
    flags[name] = value ?? flag.default ?? (flag.type === "boolean" ? false : undefined);
  }
  const mesh = typeof options.mesh === "string" ? options.mesh : (io.env.CLAUDEMESH_MESH ?? undefined);
  return {
    args,
    argv,
    flags: flags as Context["flags"],
    json: options.json === true,
    mesh: mesh === "" ? undefined : mesh,
    noDaemon: options.daemon === false || io.env.CLAUDEMESH_NO_DAEMON === "1",
    rest,
    out,
    env: io.env,
    stdin: io.stdin,
    signal,
  };
}

/** A detail block under the error line (e.g. the daemon log tail), when the error carries one. */
function errorDetails(err: unknown): string {
  return err instanceof Error && "logTail" in err && typeof err.logTail === "string" ? err.logTail : "";
}

/** Runs one command line against `io`; resolves with the exit code. Never throws. */
export async function run(
  argv: readonly string[],
  io: Io,
  options: { verbs?: readonly VerbDef[]; signal?: AbortSignal; onVerb?: (verb: VerbDef) => void } = {},
): Promise<number> {
  const verbs = options.verbs ?? (await verbsFor(argv));
  const dashdash = argv.indexOf("--");
  const wantsJson = (dashdash < 0 ? argv : argv.slice(0, dashdash)).includes("--json");
  let out = new Output(io, { json: wantsJson });
  try {
    const parsed = parseArgv(verbs, argv);
    if (parsed.kind === "version") {
      io.stdout.write(`${packageVersion()}\n`);
      return ExitCode.ok;
    }
    if (parsed.kind === "help") {
      const help = new Output(io, { json: false });
      io.stdout.write(
        parsed.verb ? verbHelp(parsed.verb, help.c) : overviewHelp(verbs, help.c, parsed.prefix),
      );
      return ExitCode.ok;
    }
    out = new Output(io, { json: parsed.options.json === true });
    options.onVerb?.(parsed.verb);
    const signal = options.signal ?? new AbortController().signal;
    const ctx = buildContext(parsed.verb, parsed.operands, parsed.options, parsed.rest, io, out, signal);
    // Before any daemon starts: a verb about a mesh has nothing to do without one. A glance at the config
    // settles the common case; only otherwise is it loaded and validated (which loads zod), to say why.
    if (parsed.verb.mesh === true && parsed.verb.meshOptional !== true && listsAMesh() !== true) {
      const { loadConfig, requireJoinedMesh } = await import("../host/config.js");
      requireJoinedMesh(loadConfig());
    }
    try {
      return (await parsed.verb.handler(ctx)) ?? ExitCode.ok;
    } finally {
      await commandEnded();
    }
  } catch (err) {
    const failure = describeError(err);
    out.failure(failure, errorDetails(err));
    if (io.env.CLAUDEMESH_DEBUG === "1" && err instanceof Error && err.stack)
      io.stderr.write(`${err.stack}\n`);
    return failure.exitCode;
  }
}

function flush(stream: TextStream & NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/** The process entry point: runs the command, flushes output and exits with the documented code. */
export async function main(argv: string[]): Promise<void> {
  const controller = new AbortController();
  let verbHandlesSignals = false;
  const onSignal = (): void => {
    if (verbHandlesSignals) return;
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    // A verb that does not watch the signal still ends promptly.
    setTimeout(() => process.exit(130), 3_000).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const crash = (err: unknown): void => {
    const failure = describeError(err);
    process.stderr.write(`error: ${failure.message}${failure.hint ? ` — ${failure.hint}` : ""}\n`);
    process.exit(ExitCode.failure);
  };
  // `claudemesh peers | head -1`: the reader went away; that is not an error worth a message.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(ExitCode.ok);
    crash(err);
  });
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  const io: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
  const code = await run(argv, io, {
    signal: controller.signal,
    onVerb: (verb) => {
      verbHandlesSignals = verb.handlesSignals === true;
    },
  });
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
