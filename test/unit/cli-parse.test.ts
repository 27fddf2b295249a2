/** The command table drives parsing and help: a small fake table exercises every rule. */
import { describe, expect, it } from "vitest";
import { defineVerb, type VerbDef } from "../../src/cli/command.js";
import { describeError } from "../../src/cli/errors.js";
import { overviewHelp, verbHelp } from "../../src/cli/help.js";
import { Output } from "../../src/cli/output.js";
import { parseArgv, parseDuration } from "../../src/cli/parse.js";

const noop = async (): Promise<void> => undefined;

const VERBS: VerbDef[] = [
  defineVerb({
    path: ["send"],
    section: "Talking",
    summary: "send a message",
    args: [
      { name: "to", description: "who" },
      { name: "message", description: "what" },
    ],
    flags: {
      priority: { type: "string", choices: ["now", "next", "low"], default: "next", description: "priority" },
      replyTo: { type: "string", valueName: "id", description: "reply" },
    },
    mesh: true,
    coldPath: true,
    examples: ["claudemesh send bob hi"],
    handler: noop,
  }),
  defineVerb({
    path: ["invite"],
    section: "Meshes and membership",
    summary: "invite",
    flags: {
      uses: { type: "number", default: 1, description: "uses" },
      expires: { type: "duration", default: 604_800_000, description: "ttl" },
      yes: { type: "boolean", short: "y", description: "yes" },
      tags: { type: "list", description: "tags" },
      service: { type: "boolean", default: true, description: "leave out the service" },
    },
    handler: noop,
  }),
  defineVerb({ path: ["daemon", "outbox"], section: "The daemon", summary: "outbox", handler: noop }),
  defineVerb({
    path: ["daemon", "outbox", "requeue"],
    section: "The daemon",
    summary: "requeue",
    args: [{ name: "id", description: "id" }],
    handler: noop,
  }),
  defineVerb({
    path: ["launch"],
    section: "Claude Code integration",
    summary: "launch",
    passthrough: true,
    handler: noop,
  }),
  defineVerb({
    path: ["summary"],
    section: "Talking",
    summary: "summary",
    args: [{ name: "text", description: "text", variadic: true }],
    handler: noop,
  }),
];

function run(argv: string[]) {
  const parsed = parseArgv(VERBS, argv);
  if (parsed.kind !== "run") throw new Error(`expected a run, got ${parsed.kind}`);
  return parsed;
}

function failure(argv: string[]) {
  try {
    parseArgv(VERBS, argv);
  } catch (err) {
    return describeError(err);
  }
  throw new Error("expected a parse error");
}

describe("parseArgv", () => {
  it("maps operands and typed flags", () => {
    const parsed = run([
      "send",
      "bob",
      "hi there",
      "--priority",
      "now",
      "--reply-to",
      "abc",
      "--json",
      "--mesh",
      "m1",
    ]);
    expect(parsed.verb.path).toEqual(["send"]);
    expect(parsed.operands).toEqual(["bob", "hi there"]);
    expect(parsed.options).toMatchObject({ priority: "now", replyTo: "abc", json: true, mesh: "m1" });
  });

  it("applies defaults and parses numbers, durations, lists and short flags", () => {
    expect(run(["invite"]).options).toMatchObject({ uses: 1, expires: 604_800_000 });
    expect(run(["invite", "--uses", "3", "--expires", "2h", "-y", "--tags", "a, b"]).options).toMatchObject({
      uses: 3,
      expires: 7_200_000,
      yes: true,
      tags: ["a", "b"],
    });
  });

  it("adds up a repeated list flag, comma lists included", () => {
    expect(run(["invite", "--tags", "a,b", "--tags", "c", "--tags=d"]).options.tags).toEqual([
      "a",
      "b",
      "c",
      "d",
    ]);
  });

  it("--no-daemon only exists where the verb allows the cold path", () => {
    expect(run(["send", "bob", "hi", "--no-daemon"]).options.daemon).toBe(false);
    expect(failure(["invite", "--no-daemon"])).toMatchObject({
      exitCode: 2,
      message: "unknown option '--no-daemon'",
    });
  });

  it("a boolean flag that defaults to true is turned off by --no-<name>, its only form", () => {
    expect(run(["invite"]).options.service).toBe(true);
    expect(run(["invite", "--no-service"]).options.service).toBe(false);
    expect(failure(["invite", "--service"])).toMatchObject({
      exitCode: 2,
      message: "unknown option '--service' (did you mean --no-service?)",
    });
  });

  it("picks the longest verb path", () => {
    expect(run(["daemon", "outbox"]).verb.path).toEqual(["daemon", "outbox"]);
    expect(run(["daemon", "outbox", "requeue", "x1"]).verb.path).toEqual(["daemon", "outbox", "requeue"]);
  });

  it("stops parsing flags at --: operands for ordinary verbs, `rest` for passthrough verbs", () => {
    expect(run(["send", "bob", "--", "--not-a-flag"]).operands).toEqual(["bob", "--not-a-flag"]);
    const launch = run(["launch", "--json", "--", "--resume", "-p", "x"]);
    expect(launch.rest).toEqual(["--resume", "-p", "x"]);
    expect(launch.options.json).toBe(true);
  });

  it("collects a variadic argument", () => {
    expect(run(["summary", "fixing", "the", "build"]).operands).toEqual([["fixing", "the", "build"]]);
  });

  it("routes help and version", () => {
    expect(parseArgv(VERBS, [])).toEqual({ kind: "help", verb: null, prefix: [] });
    expect(parseArgv(VERBS, ["--help"])).toMatchObject({ kind: "help", verb: null });
    expect(parseArgv(VERBS, ["send", "--help"])).toMatchObject({ kind: "help", verb: { path: ["send"] } });
    expect(parseArgv(VERBS, ["help", "invite"])).toMatchObject({ kind: "help", verb: { path: ["invite"] } });
    expect(parseArgv(VERBS, ["daemon", "-h"])).toMatchObject({
      kind: "help",
      verb: null,
      prefix: ["daemon"],
    });
    expect(parseArgv(VERBS, ["--version"])).toEqual({ kind: "version" });
    // --help after -- belongs to the passed-through command.
    expect(parseArgv(VERBS, ["launch", "--", "--help"])).toMatchObject({ kind: "run", rest: ["--help"] });
  });

  it("turns every mistake into a one-line usage error (exit 2) naming the help to read", () => {
    const cases: Array<[string[], RegExp]> = [
      [["sedn"], /unknown command 'sedn' \(did you mean send\?\)/],
      [["send", "bob"], /missing required argument 'message'/],
      [["send", "a", "b", "c"], /too many arguments/],
      [
        ["send", "a", "b", "--priority", "urgent"],
        /argument 'urgent' is invalid \(allowed: now, next, low\)/,
      ],
      [["invite", "--uses", "x"], /expected a whole number/],
      [["invite", "--expires", "later"], /expected a duration/],
      [["invite", "--uses"], /argument missing/],
      [["daemon"], /needs a verb: outbox/],
      [["daemon", "bogus"], /unknown command 'daemon bogus'/],
      [["--json"], /must come after a verb/],
    ];
    for (const [argv, message] of cases) {
      const f = failure(argv);
      expect(f.exitCode, argv.join(" ")).toBe(2);
      expect(f.message, argv.join(" ")).toMatch(message);
      expect(f.message).not.toContain("\n");
      expect(f.hint).toMatch(/--help/);
    }
  });

  it("parses durations", () => {
    expect(parseDuration("90")).toBe(90_000);
    expect(parseDuration("1500ms")).toBe(1_500);
    expect(parseDuration("7d")).toBe(604_800_000);
    expect(parseDuration("2w")).toBe(1_209_600_000);
    expect(() => parseDuration("1.5h")).toThrow(/duration/);
  });
});

describe("help", () => {
  const c = new Output(
    { stdout: { write: () => true }, stderr: { write: () => true }, stdin: process.stdin, env: {} },
    { json: false },
  ).c;

  it("renders a verb's usage, arguments, flags with defaults, and examples", () => {
    const text = verbHelp(VERBS[0] as VerbDef, c);
    expect(text).toContain("Usage: claudemesh send <to> <message> [flags]");
    expect(text).toMatch(/--priority <now\|next\|low>\s+priority \(default: next\)/);
    expect(text).toMatch(/--reply-to <id>/);
    expect(text).toMatch(/--mesh <slug\|id>/);
    expect(text).toMatch(/--no-daemon/);
    expect(text).toMatch(/--json/);
    expect(text).toMatch(/-h, --help/);
    expect(text).toContain("claudemesh send bob hi");
    const invite = verbHelp(VERBS[1] as VerbDef, c);
    expect(invite).toMatch(/--expires <duration>\s+ttl \(default: 7d\)/);
    expect(invite).toMatch(/--no-service\s+leave out the service\n/);
    expect(invite).not.toMatch(/ --service/);
  });

  it("lists every verb by section, and a group's verbs", () => {
    const all = overviewHelp(VERBS, c);
    for (const verb of VERBS) expect(all).toContain(verb.path.join(" "));
    expect(all.indexOf("Meshes and membership")).toBeLessThan(all.indexOf("Talking"));
    const daemon = overviewHelp(VERBS, c, ["daemon"]);
    expect(daemon).toContain("daemon outbox requeue");
    expect(daemon).not.toContain("send");
  });
});
