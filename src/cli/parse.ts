/**
 * Command-line parsing, driven by the command table: commander does the option syntax (`--x=y`, `-y`,
 * `--no-hooks`, suggestions); the table decides which verbs, arguments and flags exist.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { FlagDef, VerbDef } from "./command.js";
import { usageError } from "./errors.js";
import { flagTerm, isNegatable, kebab, verbFlags, verbName } from "./help.js";
import { VERB_INDEX } from "./verb-index.js";

export type Parsed =
  | { kind: "help"; verb: VerbDef | null; prefix: string[] }
  | { kind: "version" }
  | {
      kind: "run";
      verb: VerbDef;
      /** One entry per declared argument: a string, a list (variadic) or undefined (optional, absent). */
      operands: Array<string | string[] | undefined>;
      options: Record<string, unknown>;
      rest: string[];
    };

const DURATION = /^(\d+)(ms|s|m|h|d|w)?$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `7d`, `10m`, `90s`, `1500ms`, `2w` (a bare number is seconds) → milliseconds. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new InvalidArgumentError("expected a duration like 30s, 10m, 2h or 7d.");
  return Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 1_000);
}

function parseWholeNumber(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError("expected a whole number.");
  return Number(text);
}

function toOption(name: string, flag: FlagDef): Option {
  const option = new Option(flagTerm(name, flag).replace(/<[^>]*>/, "<value>"), flag.description);
  if (flag.choices) option.choices(flag.choices);
  if (flag.type === "number") option.argParser(parseWholeNumber);
  if (flag.type === "duration") option.argParser(parseDuration);
  if (flag.type === "list") {
    // A comma list, and repeatable: `--x a,b --x c` is [a, b, c].
    // A declared default is never an array, so the first use replaces it.
    option.argParser((value: string, previous: unknown) => [
      ...(Array.isArray(previous) ? previous.map(String) : []),
      ...value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ]);
  }
  // A negatable flag (`--no-x`) defaults to true in commander itself.
  if (flag.default !== undefined && !isNegatable(flag)) option.default(flag.default);
  return option;
}

/** The verb named by the leading words of argv (longest match), and how many words it used. */
export function resolveVerb(
  verbs: readonly VerbDef[],
  argv: readonly string[],
): { verb: VerbDef | null; words: number; prefix: string[] } {
  const words: string[] = [];
  for (const token of argv) {
    if (token.startsWith("-")) break;
    words.push(token);
  }
  let best: VerbDef | null = null;
  let prefix: string[] = [];
  for (let n = words.length; n > 0 && best === null; n -= 1) {
    const head = words.slice(0, n);
    best = verbs.find((v) => v.path.length === n && v.path.every((w, i) => w === head[i])) ?? null;
    if (best === null && prefix.length === 0 && verbs.some((v) => head.every((w, i) => v.path[i] === w))) {
      prefix = head;
    }
  }
  return { verb: best, words: best?.path.length ?? 0, prefix };
}

function commanderFailure(err: CommanderError, verb: VerbDef | null): Error {
  const message = err.message
    .replace(/^error: /, "")
    .replace(/\n\(Did you mean (.+)\?\)/, " (did you mean $1?)")
    .replace(/\. Allowed choices are (.*)\.$/, " (allowed: $1)")
    .replace(/option '([^']*?) <value>'/, "option '$1'");
  const hint = verb ? `see \`claudemesh ${verbName(verb)} --help\`` : "see `claudemesh --help` for the verbs";
  if (err.code === "commander.unknownCommand") return usageError(message, hint, "unknown_command");
  return usageError(message, hint);
}

/** Commander's "did you mean" for `word` among `names` (its own edit-distance rule), or null. */
function suggestion(names: readonly string[], word: string): string | null {
  const program = new Command("claudemesh")
    .exitOverride()
    .helpOption(false)
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  for (const name of names) program.command(name);
  try {
    program.parse([word], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return /\(Did you mean (.+)\?\)/.exec(err.message)?.[1] ?? null;
    throw err;
  }
  return null;
}

function buildCommand(verb: VerbDef): Command {
  const cmd = new Command(verbName(verb))
    .exitOverride()
    .helpOption(false)
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  for (const arg of verb.args ?? []) {
    const term = `${arg.name}${arg.variadic ? "..." : ""}`;
    cmd.argument(arg.required === false ? `[${term}]` : `<${term}>`, arg.description);
  }
  for (const [name, flag] of verbFlags(verb)) {
    if (name !== "help") cmd.addOption(toOption(name, flag));
  }
  return cmd;
}

/** Turns argv into a verb with its operands and options, or a help request. Throws a usage error (exit 2). */
export function parseArgv(verbs: readonly VerbDef[], argv: readonly string[]): Parsed {
  const dashdash = argv.indexOf("--");
  const head = dashdash < 0 ? argv : argv.slice(0, dashdash);
  const { verb, words, prefix } = resolveVerb(verbs, head);
  const wantsHelp = head.includes("--help") || head.includes("-h") || head[0] === "help";
  if (argv.length === 0) return { kind: "help", verb: null, prefix: [] };
  if (head[0] === "--version" || head[0] === "-V") return { kind: "version" };
  if (head[0] === "help") {
    const target = resolveVerb(verbs, head.slice(1));
    return { kind: "help", verb: target.verb, prefix: target.prefix };
  }
  if (verb === null) {
    if (wantsHelp && (prefix.length > 0 || head[0]?.startsWith("-")))
      return { kind: "help", verb: null, prefix };
    if (head.length === 0 || head[0]?.startsWith("-")) {
      throw usageError(
        head.length === 0 ? "no verb given" : `'${head[0] ?? ""}' must come after a verb`,
        "run `claudemesh --help` for the verbs, e.g. `claudemesh peers --json`",
        "unknown_command",
      );
    }
    if (prefix.length > 0) {
      const subs = verbs
        .filter((v) => prefix.every((w, i) => v.path[i] === w))
        .map((v) => v.path[prefix.length] ?? "")
        .filter((sub) => sub !== "");
      const unknown = head[prefix.length];
      if (unknown === undefined || unknown.startsWith("-")) {
        throw usageError(
          `\`claudemesh ${prefix.join(" ")}\` needs a verb: ${[...new Set(subs)].join(", ")}`,
          `see \`claudemesh ${prefix.join(" ")} --help\``,
          "unknown_command",
        );
      }
      // `mesh list` for `list`, `daemon doctor` for `doctor`: a verb of its own, not of this group.
      const own = Object.hasOwn(VERB_INDEX, unknown) && !prefix.includes(unknown);
      const sub = suggestion([...new Set(subs)], unknown);
      const similar = own ? `claudemesh ${unknown}` : sub === null ? null : `${prefix.join(" ")} ${sub}`;
      throw usageError(
        `unknown command '${prefix.join(" ")} ${unknown}'${similar === null ? "" : ` (did you mean ${similar}?)`}`,
        `see \`claudemesh ${prefix.join(" ")} --help\``,
        "unknown_command",
      );
    }
    const similar = suggestion([...new Set(verbs.map((v) => v.path[0] ?? ""))], head[0] ?? "");
    throw usageError(
      `unknown command '${head[0] ?? ""}'${similar === null ? "" : ` (did you mean ${similar}?)`}`,
      "see `claudemesh --help` for the verbs",
      "unknown_command",
    );
  }
  if (wantsHelp) return { kind: "help", verb, prefix: [] };

  const passthrough = verb.passthrough === true && dashdash >= 0;
  const tail = argv.slice(words, passthrough ? dashdash : argv.length);
  const rest = passthrough ? argv.slice(dashdash + 1) : [];
  const cmd = buildCommand(verb);
  let result:
    { operands: Array<string | string[] | undefined>; options: Record<string, unknown> } | undefined;
  cmd.action(() => {
    const operands = cmd.processedArgs.map((value: unknown) =>
      Array.isArray(value) ? value.map(String) : value === undefined ? undefined : String(value),
    );
    result = { operands, options: cmd.opts() };
  });
  try {
    cmd.parse([...tail], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) throw commanderFailure(err, verb);
    if (err instanceof InvalidArgumentError)
      throw usageError(err.message, `see \`claudemesh ${verbName(verb)} --help\``);
    throw err;
  }
  if (!result)
    throw usageError("could not parse the command line", `see \`claudemesh ${verbName(verb)} --help\``);
  return { kind: "run", verb, operands: result.operands, options: result.options, rest };
}

/** The attribute name commander gives a flag (`reply-to` → `replyTo`). */
export function optionKey(name: string): string {
  return kebab(name).replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
}
