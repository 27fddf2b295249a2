/**
 * What the binary loads before it does its job (start-up time is what Claude Code waits for): the command
 * table holds light definitions only, so `--help` and the hooks load no schema library, crypto, broker
 * client or MCP SDK, and `mcp` has loaded only the SDK and its server module when it answers `initialize`.
 * The modules are recorded by a module-resolve hook in the real process.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil, withTimeout } from "../helpers/broker.js";
import { CLI_BIN, CliUser, ROOT } from "../helpers/cli.js";

let user: CliUser;
let dir: string;
let register: string;

/** What the CLI of the command table must never load up front. */
const HEAVY = [
  "node_modules/zod/",
  "node_modules/libsodium",
  "node_modules/ws/",
  "node_modules/better-sqlite3/",
  "node_modules/pino/",
  "node_modules/@modelcontextprotocol/",
  "/dist/src/client/",
  "/dist/src/crypto/",
  "/dist/src/protocol/frames.js",
  "/dist/src/host/config.js",
];

beforeAll(async () => {
  user = new CliUser("startup");
  // Running, as for a real session (and so `mcp` starts none that could outlive the test).
  expect((await user.run(["daemon", "up"])).code).toBe(0);
  dir = mkdtempSync(join(tmpdir(), "cm-startup-"));
  writeFileSync(
    join(dir, "hooks.mjs"),
    'import { appendFileSync } from "node:fs";\n' +
      "export async function resolve(specifier, context, next) {\n" +
      "  const result = await next(specifier, context);\n" +
      "  appendFileSync(process.env.CM_MODULE_LOG, `${result.url}\\n`);\n" +
      "  return result;\n" +
      "}\n",
  );
  register = join(dir, "register.mjs");
  writeFileSync(
    register,
    'import { register } from "node:module";\nregister(new URL("./hooks.mjs", import.meta.url));\n',
  );
}, 30_000);

afterAll(async () => {
  await user?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

let runs = 0;

/** Starts the binary with the module log; `loaded()` reads what it has resolved so far. */
function start(args: string[]) {
  const log = join(dir, `modules-${(runs += 1)}.log`);
  writeFileSync(log, "");
  const child = spawn(process.execPath, ["--import", register, CLI_BIN, ...args], {
    cwd: ROOT,
    env: { ...user.env, CM_MODULE_LOG: log },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const loaded = (): string[] => readFileSync(log, "utf8").split("\n").filter(Boolean);
  return { child, exited, loaded, stdout: () => stdout };
}

async function modulesOf(args: string[], stdin = ""): Promise<string[]> {
  const run = start(args);
  run.child.stdin.end(stdin);
  expect(await withTimeout(run.exited, 15_000, `claudemesh ${args.join(" ")} did not exit`)).toBe(0);
  return run.loaded();
}

function heavyIn(modules: readonly string[]): string[] {
  return modules.filter((url) => HEAVY.some((part) => url.includes(part)));
}

describe("start-up", () => {
  it("--help loads the command table's definitions and no implementation", async () => {
    const modules = await modulesOf(["--help"]);
    expect(modules.some((url) => url.endsWith("/dist/src/cli/table.js"))).toBe(true);
    expect(heavyIn(modules)).toEqual([]);
    expect(modules.filter((url) => url.includes("/dist/src/cli/handlers/"))).toEqual([]);
  });

  it("a hook loads its own handler and nothing heavy", async () => {
    const input = JSON.stringify({ session_id: "startup", hook_event_name: "Stop" });
    for (const verb of ["idle", "prompt"]) {
      const modules = await modulesOf(["hook", verb], input);
      expect(heavyIn(modules), verb).toEqual([]);
      expect(
        modules.filter((url) => url.includes("/dist/src/cli/handlers/")).map((url) => url.split("/").pop()),
      ).toEqual(["hook.js"]);
    }
  });

  it("mcp answers initialize before it loads its tools, its pump or anything of the CLI's verbs", async () => {
    const run = start(["mcp"]);
    const request = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "0" } },
    };
    run.child.stdin.write(`${JSON.stringify(request)}\n`);
    await waitUntil(() => run.stdout().includes('"id":1'), { timeoutMs: 10_000, message: "no answer" });
    const atAnswer = run.loaded();
    run.child.stdin.end();
    expect(await withTimeout(run.exited, 10_000, "mcp did not exit on stdin end")).toBe(0);
    expect(atAnswer.some((url) => url.includes("node_modules/@modelcontextprotocol/sdk/"))).toBe(true);
    const early = atAnswer.filter(
      (url) =>
        /\/dist\/src\/mcp\/(tools|pump)\.js$/.test(url) ||
        url.includes("/dist/src/cli/handlers/") ||
        url.includes("/dist/src/client/") ||
        url.includes("/dist/src/crypto/") ||
        url.includes("/dist/src/protocol/frames.js"),
    );
    expect(early).toEqual([]);
  });
});
