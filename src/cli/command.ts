/**
 * The shape of one CLI verb. Every verb is a {@link VerbDef} in the command table; parsing, `--help`,
 * `--json`, `--mesh` and the error handling all come from these definitions. Definitions are light (no
 * heavy imports): the implementations live under handlers/ and are imported only by the verb that runs.
 */
import type { Output } from "./output.js";

/** `list`: a comma-separated value, and the flag may be repeated (the values add up). */
export type FlagType = "string" | "number" | "boolean" | "duration" | "list";

export interface FlagDef {
  type: FlagType;
  /** One line for `--help`. */
  description: string;
  /** Single-letter alias, e.g. `y` for `-y`. */
  short?: string;
  /** Placeholder shown in help (`--expires <duration>`). */
  valueName?: string;
  /** Allowed values (string flags). */
  choices?: readonly string[];
  /**
   * Default value (durations in ms). A boolean flag with default `true` is a negatable flag: its only form
   * is `--no-<name>`, which sets it to false (`--no-hooks` → `flags.hooks === false`).
   */
  default?: string | number | boolean;
}

/** A verb's flag definitions, kept literal, so a handler in another module can be typed with them. */
export function defineFlags<const F extends Record<string, FlagDef>>(flags: F): F {
  return flags;
}

export interface ArgDef {
  name: string;
  description: string;
  /** @default true */
  required?: boolean;
  /** Takes all remaining operands. */
  variadic?: boolean;
}

type FlagValue<F extends FlagDef> = F["type"] extends "boolean"
  ? boolean
  : F["type"] extends "number" | "duration"
    ? number
    : F["type"] extends "list"
      ? string[]
      : string;

/** Flags as the handler sees them: typed from the definitions; optional unless a default is given. */
export type FlagValues<F extends Record<string, FlagDef>> = {
  [K in keyof F]: F[K] extends { default: string | number | boolean } | { type: "boolean" }
    ? FlagValue<F[K]>
    : FlagValue<F[K]> | undefined;
};

export interface Context<F extends Record<string, FlagDef> = Record<string, FlagDef>> {
  /** Operands by argument name (a variadic argument joins its values with a space; `argv` keeps them). */
  args: Record<string, string | undefined>;
  /** Variadic operands, in order. */
  argv: string[];
  flags: FlagValues<F>;
  /** `--json`: one JSON document on stdout, errors as JSON on stderr. */
  json: boolean;
  /** `--mesh <slug|id>`, when given. */
  mesh: string | undefined;
  /** `--no-daemon` or `CLAUDEMESH_NO_DAEMON=1`. */
  noDaemon: boolean;
  /** What followed `--` on the command line. */
  rest: string[];
  out: Output;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
  /** Aborted on Ctrl-C / SIGTERM; long-running verbs stop cleanly on it. */
  signal: AbortSignal;
}

export const SECTIONS = [
  "Getting started",
  "Meshes and membership",
  "Talking",
  "Shared mesh features",
  "Claude Code integration",
  "The daemon",
] as const;
export type Section = (typeof SECTIONS)[number];

export interface VerbDef<F extends Record<string, FlagDef> = Record<string, FlagDef>> {
  /** The words that name the verb: `["send"]`, `["mesh", "create"]`. */
  path: readonly string[];
  summary: string;
  /** More help text, shown under the usage line. */
  description?: string;
  args?: readonly ArgDef[];
  flags?: F;
  /**
   * Whether the verb acts on one mesh (adds `--mesh`). Such a verb is refused with `no_mesh` before
   * anything starts (no daemon) when the user has joined no mesh, unless `meshOptional`.
   */
  mesh?: boolean;
  /** A `mesh` verb that also makes sense with no mesh joined (it only filters by `--mesh`). */
  meshOptional?: boolean;
  /** Whether the verb can go straight to the broker (adds `--no-daemon`). */
  coldPath?: boolean;
  /** The verb stops itself on SIGINT/SIGTERM (the daemon); `main` then never forces an exit. */
  handlesSignals?: boolean;
  /** Everything after `--` goes to `ctx.rest` instead of being operands. */
  passthrough?: boolean;
  /** Heading under which `claudemesh --help` lists the verb. */
  section: Section;
  examples?: readonly string[];
  /**
   * Exit status is what the handler returns (default 0). The table is loaded for every command line, so a
   * handler imports its implementation when it runs (`(await import("../handlers/x.js")).x(ctx)`).
   */
  handler: (ctx: Context<F>) => Promise<number | void>;
}

/** Type-checks one verb with its flags inferred. */
export function defineVerb<const F extends Record<string, FlagDef> = Record<string, never>>(
  def: VerbDef<F>,
): VerbDef {
  return def as unknown as VerbDef;
}
