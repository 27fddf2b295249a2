/** `run()` in-process: the context a handler gets, exit codes, the error report and the output sink. */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { defineVerb, type Context, type VerbDef } from "../../src/cli/command.js";
import { CliError, describeError } from "../../src/cli/errors.js";
import { run } from "../../src/cli/main.js";
import { Output, type Io } from "../../src/cli/output.js";
import { BrokerHttpError, BrokerUnreachableError } from "../../src/client/broker-http.js";
import { MeshClientError } from "../../src/client/errors.js";
import { ConfigError, MeshSelectionError } from "../../src/host/config.js";
import { DaemonApiError, DaemonUnavailableError } from "../../src/daemon-api/client.js";
import { DaemonLifecycleError } from "../../src/daemon-api/lifecycle.js";

interface Captured {
  io: Io;
  stdout: () => string;
  stderr: () => string;
}

function capture(env: NodeJS.ProcessEnv = {}, tty = false): Captured {
  let out = "";
  let err = "";
  return {
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: tty },
      stderr: { write: (s: string) => (err += s), isTTY: tty },
      stdin: Readable.from(["piped text"]),
      env,
    },
    stdout: () => out,
    stderr: () => err,
  };
}

let seen: Context | null = null;
let toThrow: unknown = null;

const VERBS: VerbDef[] = [
  defineVerb({
    path: ["echo"],
    section: "Talking",
    summary: "echo",
    args: [
      { name: "first", description: "first" },
      { name: "more", description: "more", required: false, variadic: true },
    ],
    flags: {
      loud: { type: "boolean", description: "loud" },
      times: { type: "number", default: 1, description: "times" },
      label: { type: "string", description: "label" },
      color: { type: "boolean", default: true, description: "leave out the colours" },
    },
    mesh: true,
    // These cases run without a config; the refusal of mesh verbs without a mesh is tested end to end.
    meshOptional: true,
    coldPath: true,
    async handler(ctx) {
      seen = ctx;
      if (toThrow !== null) throw toThrow;
      ctx.out.result({ echoed: ctx.args.first }, () => ctx.out.line(`echo ${ctx.args.first ?? ""}`));
    },
  }),
  defineVerb({
    path: ["exit"],
    section: "Talking",
    summary: "exit",
    async handler() {
      return 3;
    },
  }),
];

async function runCase(argv: string[], env: NodeJS.ProcessEnv = {}) {
  seen = null;
  const c = capture(env);
  const code = await run(argv, c.io, { verbs: VERBS });
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

describe("run", () => {
  it("gives the handler typed flags, named args, --mesh and --no-daemon", async () => {
    const result = await runCase([
      "echo",
      "a",
      "b",
      "c",
      "--loud",
      "--times",
      "2",
      "--mesh",
      "m",
      "--no-daemon",
      "--no-color",
    ]);
    expect(result).toEqual({ code: 0, stdout: "echo a\n", stderr: "" });
    expect(seen?.args).toEqual({ first: "a", more: "b c" });
    expect(seen?.argv).toEqual(["b", "c"]);
    expect(seen?.flags).toEqual({ loud: true, times: 2, label: undefined, color: false });
    expect(seen?.mesh).toBe("m");
    expect(seen?.noDaemon).toBe(true);
    expect(seen?.json).toBe(false);
  });

  it("defaults booleans to false (negatable ones to true) and honours CLAUDEMESH_NO_DAEMON", async () => {
    await runCase(["echo", "a"], { CLAUDEMESH_NO_DAEMON: "1" });
    expect(seen?.flags).toMatchObject({ loud: false, times: 1, color: true });
    expect(seen?.noDaemon).toBe(true);
    await runCase(["echo", "a"]);
    expect(seen?.noDaemon).toBe(false);
  });

  it("prints one JSON document with schema_version under --json", async () => {
    const result = await runCase(["echo", "x", "--json"]);
    expect(JSON.parse(result.stdout)).toEqual({ schema_version: "1", echoed: "x" });
  });

  it("returns the handler's exit code", async () => {
    expect((await runCase(["exit"])).code).toBe(3);
  });

  it("prints help and the version with exit 0", async () => {
    const help = await runCase(["echo", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--times <number>");
    expect((await runCase(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("maps every error family to one line, its exit code, and never a stack", async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [new CliError("x", "custom", "do this", 3), 3, /^error: custom — do this\n$/],
      [
        new MeshSelectionError("no_mesh", "you have not joined any mesh", "run `claudemesh up`"),
        2,
        /not joined/,
      ],
      [new ConfigError('/c.json: field "x" is bad', "/c.json"), 2, /field "x"/],
      [new DaemonUnavailableError("/s.sock", "ENOENT"), 4, /not reachable.*claudemesh daemon up/],
      [
        new DaemonLifecycleError(
          "daemon_spawn_failed",
          "did not start",
          "run `claudemesh daemon up --foreground`",
        ),
        4,
        /did not start/,
      ],
      [
        new DaemonApiError(400, { error: "unknown_target", message: "nobody", hint: "try bob" }),
        2,
        /nobody — try bob/,
      ],
      [new DaemonApiError(403, { error: "forbidden", message: "not yours" }), 3, /not yours/],
      [new DaemonApiError(503, { error: "some_new_code", message: "later" }), 4, /later/],
      [new DaemonApiError(409, { error: "another_new_code", message: "conflict" }), 2, /conflict/],
      [new BrokerUnreachableError("http://127.0.0.1:9", "ECONNREFUSED"), 4, /cannot reach the broker/],
      [new BrokerHttpError("unauthorized", 401, "bad token"), 3, /bad token/],
      [new MeshClientError("revoked", "You've been removed"), 3, /removed/],
      [new MeshClientError("connect_failed", "refused"), 4, /refused/],
      [
        Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: "EACCES", errno: -13 }),
        3,
        /permission/,
      ],
      [new Error("something odd"), 1, /^error: something odd\n$/],
    ];
    for (const [error, code, pattern] of cases) {
      toThrow = error;
      const result = await runCase(["echo", "a"]);
      expect(result.code, String(error)).toBe(code);
      expect(result.stderr, String(error)).toMatch(pattern);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    toThrow = null;
  });

  it("shows a log tail under the error line (never in --json)", async () => {
    toThrow = new DaemonLifecycleError(
      "daemon_spawn_failed",
      "did not start",
      "see the log",
      "line one\nline two",
    );
    const human = await runCase(["echo", "a"]);
    expect(human.stderr.split("\n")).toEqual([
      "error: did not start — see the log",
      "  │ line one",
      "  │ line two",
      "",
    ]);
    const machine = await runCase(["echo", "a", "--json"]);
    expect(JSON.parse(machine.stderr)).toEqual({
      schema_version: "1",
      error: { code: "daemon_spawn_failed", message: "did not start", hint: "see the log" },
    });
    toThrow = null;
  });

  it("reports usage errors as JSON when --json was given, even before parsing succeeds", async () => {
    const result = await runCase(["echo", "--times", "x", "--json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stderr).error.code).toBe("invalid_argument");
  });
});

describe("describeError", () => {
  it("passes through a hint from the error", () => {
    expect(
      describeError(new DaemonApiError(409, { error: "idempotency_key_reused", message: "m", hint: "h" })),
    ).toEqual({
      code: "idempotency_key_reused",
      message: "m",
      hint: "h",
      exitCode: 2,
    });
  });
});

describe("Output", () => {
  it("aligns tables and leaves the last column unpadded", () => {
    const c = capture();
    new Output(c.io, { json: false }).table(
      [{ header: "NAME" }, { header: "N", align: "right" }, { header: "NOTE" }],
      [
        ["alice", "1", "x"],
        ["bo", "100", "longer note"],
      ],
    );
    expect(c.stdout()).toBe("NAME     N  NOTE\nalice    1  x\nbo     100  longer note\n");
  });

  it("colours only on a TTY, honouring NO_COLOR and FORCE_COLOR", () => {
    const plain = capture({}, false);
    new Output(plain.io, { json: false }).line(new Output(plain.io, { json: false }).c.red("x"));
    expect(plain.stdout()).toBe("x\n");
    const tty = capture({}, true);
    const out = new Output(tty.io, { json: false });
    expect(out.c.red("x")).toBe("\u001b[31mx\u001b[39m");
    expect(new Output(capture({ NO_COLOR: "1" }, true).io, { json: false }).c.red("x")).toBe("x");
    expect(new Output(capture({ FORCE_COLOR: "1" }, false).io, { json: false }).c.red("x")).not.toBe("x");
    expect(new Output(tty.io, { json: true }).c.red("x")).toBe("x");
  });

  it("prints nothing human in --json mode and shows no spinner off a TTY", async () => {
    const c = capture();
    const out = new Output(c.io, { json: true });
    out.line("hidden");
    out.table([{ header: "A" }], [["1"]]);
    expect(await out.waitFor("working", async () => 42)).toBe(42);
    expect(c.stdout()).toBe("");
    expect(c.stderr()).toBe("");
  });
});
