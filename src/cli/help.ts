/** `--help` text, rendered from the command table (the verbs' own definitions are the only source). */
import { SECTIONS, type ArgDef, type FlagDef, type VerbDef } from "./command.js";
import { visibleWidth, type Colors } from "./output.js";

/** The flags every verb gets from the table (`--mesh` and `--no-daemon` only where the verb says so). */
export const GLOBAL_FLAGS = {
  mesh: {
    type: "string",
    valueName: "slug|id",
    description: "mesh to act on (optional when you joined exactly one)",
  },
  daemon: {
    type: "boolean",
    default: true,
    description: "talk to the broker directly instead of through the daemon (also CLAUDEMESH_NO_DAEMON=1)",
  },
  json: { type: "boolean", description: "print one JSON document (errors as JSON on stderr)" },
  help: { type: "boolean", short: "h", description: "show this help" },
} as const satisfies Record<string, FlagDef>;

export function verbName(verb: VerbDef): string {
  return verb.path.join(" ");
}

function argTerm(arg: ArgDef): string {
  const inner = `${arg.name}${arg.variadic ? "..." : ""}`;
  return arg.required === false ? `[${inner}]` : `<${inner}>`;
}

/** Whether a flag is spelled `--no-<name>` (a boolean that is on unless turned off). */
export function isNegatable(flag: FlagDef): boolean {
  return flag.type === "boolean" && flag.default === true;
}

/** `--priority <now|next|low>`, `-y, --yes`, `--no-daemon`. */
export function flagTerm(name: string, flag: FlagDef): string {
  const long = `--${isNegatable(flag) ? "no-" : ""}${kebab(name)}`;
  const value =
    flag.type === "boolean"
      ? ""
      : ` <${flag.valueName ?? (flag.choices ? flag.choices.join("|") : flag.type)}>`;
  return `${flag.short ? `-${flag.short}, ` : ""}${long}${value}`;
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`);
}

/** All flags a verb accepts, in help order: its own, then the table-wide ones. */
export function verbFlags(verb: VerbDef): Array<[string, FlagDef]> {
  const own = Object.entries(verb.flags ?? {});
  const global: Array<[string, FlagDef]> = [];
  if (verb.mesh) global.push(["mesh", GLOBAL_FLAGS.mesh]);
  if (verb.coldPath) global.push(["daemon", GLOBAL_FLAGS.daemon]);
  global.push(["json", GLOBAL_FLAGS.json], ["help", GLOBAL_FLAGS.help]);
  return [...own, ...global];
}

function rows(entries: Array<[string, string]>, indent = "  "): string[] {
  const width = Math.max(0, ...entries.map(([term]) => visibleWidth(term)));
  return entries.map(
    ([term, text]) => `${indent}${term}${" ".repeat(width - visibleWidth(term) + 2)}${text}`,
  );
}

function defaultText(flag: FlagDef): string {
  if (flag.default === undefined || flag.type === "boolean") return "";
  if (flag.type === "duration" && typeof flag.default === "number")
    return ` (default: ${formatDuration(flag.default)})`;
  return ` (default: ${String(flag.default)})`;
}

/** 604800000 → "7d"; the inverse of the duration flag parser for whole units. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ];
  for (const [unit, size] of units) if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export function usageLine(verb: VerbDef): string {
  const args = (verb.args ?? []).map(argTerm).join(" ");
  const rest = verb.passthrough ? " [-- <args>...]" : "";
  return `claudemesh ${verbName(verb)}${args ? ` ${args}` : ""} [flags]${rest}`;
}

/** Help for one verb. */
export function verbHelp(verb: VerbDef, c: Colors): string {
  const lines = [`${c.bold("Usage:")} ${usageLine(verb)}`, "", verb.summary];
  if (verb.description) lines.push("", verb.description);
  const args = verb.args ?? [];
  if (args.length > 0) {
    lines.push("", c.bold("Arguments:"), ...rows(args.map((a) => [a.name, a.description])));
  }
  const flags = verbFlags(verb).map(([name, flag]): [string, string] => {
    const listed = flag.choices && flag.valueName !== undefined && flag.valueName !== flag.choices.join("|");
    const choices = listed && flag.choices ? ` (one of: ${flag.choices.join(", ")})` : "";
    return [flagTerm(name, flag), `${flag.description}${choices}${defaultText(flag)}`];
  });
  lines.push("", c.bold("Flags:"), ...rows(flags));
  if (verb.examples && verb.examples.length > 0) {
    lines.push("", c.bold("Examples:"), ...verb.examples.map((e) => `  ${e}`));
  }
  return `${lines.join("\n")}\n`;
}

/** `claudemesh --help`, or the verbs under a group word (`claudemesh daemon --help`). */
export function overviewHelp(verbs: readonly VerbDef[], c: Colors, prefix: readonly string[] = []): string {
  const shown = verbs.filter((v) => prefix.every((word, i) => v.path[i] === word));
  const lines = [
    `${c.bold("Usage:")} claudemesh ${prefix.length > 0 ? `${prefix.join(" ")} ` : ""}<verb> [arguments] [flags]`,
  ];
  if (prefix.length === 0) {
    lines.push("", "End-to-end encrypted mesh for AI coding agents. Start with `claudemesh up`.");
  }
  for (const section of SECTIONS) {
    const inSection = shown.filter((v) => v.section === section);
    if (inSection.length === 0) continue;
    lines.push("", c.bold(`${section}:`), ...rows(inSection.map((v) => [verbName(v), v.summary])));
  }
  lines.push(
    "",
    "Every verb takes --json and -h/--help. Exit codes: 0 ok, 2 bad input, 3 not allowed, 4 broker or daemon",
    "unreachable, 1 other errors. Run `claudemesh <verb> --help` for a verb's arguments and flags.",
  );
  return `${lines.join("\n")}\n`;
}
