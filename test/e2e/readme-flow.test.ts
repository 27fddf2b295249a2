/**
 * The README's "A mesh in two minutes", run as written on two fresh HOMEs: its commands are read from
 * README.md, not copied here, so a README that stops working fails this test. Three things are adapted,
 * each for a reason a reader does not have: `npm start -- <args>` runs what the start script runs
 * (`claudemesh up <args>`, built already) plus `--port 0` so tests never clash on 7900; the second user's
 * `export CLAUDEMESH_CONFIG_DIR=…` is its own fresh HOME; and the two placeholders (the invite link, the
 * message id) become what the earlier commands printed.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/deadline.js";
import { CLI_BIN, CliUser, ROOT } from "../helpers/cli.js";

/** The shell commands of each ```sh block of the README section `heading`, comments removed. */
function sectionCommands(heading: string): string[][] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`## ${heading}\n`);
  expect(start, `README has no "## ${heading}"`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((block) =>
    (block[1] ?? "").split("\n").filter((line) => line.trim() !== ""),
  );
}

/** Splits a command line as sh does for these simple lines: quotes, and a `#` comment after a blank. */
function words(line: string): string[] {
  const out: string[] = [];
  let current: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? "";
    if (quote !== null) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      current ??= "";
    } else if (ch === " " || ch === "\t") {
      if (current !== null) out.push(current);
      current = null;
    } else if (ch === "#" && current === null) {
      break;
    } else {
      current = (current ?? "") + ch;
    }
  }
  if (current !== null) out.push(current);
  return out;
}

const alice = new CliUser("readme-alice");
const bob = new CliUser("readme-bob");
let live: ReturnType<typeof spawn> | null = null;

afterAll(async () => {
  live?.kill("SIGKILL");
  let brokerPid: number | null = null;
  try {
    brokerPid = Number(readFileSync(join(alice.configDir, "broker", "broker.pid"), "utf8").trim());
  } catch {
    // No broker was started.
  }
  await Promise.all([alice.dispose(), bob.dispose()]);
  if (brokerPid) {
    try {
      process.kill(brokerPid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
});

describe("README: a mesh in two minutes", () => {
  it("works as written for two users", async () => {
    const blocks = sectionCommands("A mesh in two minutes");
    expect(blocks).toHaveLength(3);
    const [startBlock = [], bobBlock = [], aliceBlock = []] = blocks;

    // 1. The first user: npm start -- <args>.
    expect(startBlock).toHaveLength(1);
    const start = words(startBlock[0] ?? "");
    expect(start.slice(0, 3)).toEqual(["npm", "start", "--"]);
    const upArgs = ["up", ...start.slice(3), "--port", "0"];
    const child = spawn(process.execPath, [CLI_BIN, ...upArgs], {
      cwd: ROOT,
      env: alice.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    live = child;
    let view = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (view += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (view += chunk));
    await waitUntil(() => (expect(view).toContain("watching for activity"), true), { timeoutMs: 60_000 });
    const link = /claudemesh:\/\/join\/\S+/.exec(view)?.[0];
    expect(link, view).toBeDefined();
    const name = /^you are (\S+):/m.exec(view)?.[1];
    expect(name, view).toBe("alice");

    // 2. The second user, with the link the first one printed.
    const printed: string[] = [];
    for (const line of bobBlock) {
      const argv = words(line);
      if (argv[0] === "export") {
        expect(argv[1]).toMatch(/^CLAUDEMESH_CONFIG_DIR=/); // bob's fresh HOME stands for it
        continue;
      }
      expect(argv[0], line).toBe("claudemesh");
      const args = argv.slice(1).map((w) => (w.startsWith("claudemesh://join/") ? (link ?? "") : w));
      const result = await bob.run(args);
      expect(result.code, `${line}\n${result.stdout}${result.stderr}`).toBe(0);
      printed.push(result.stdout, result.stderr);
    }
    const bobSaid = printed.join("");
    expect(bobSaid).toMatch(/joined local .* as bob/);
    expect(bobSaid).not.toMatch(/claudemesh daemon up/); // the next command starts it: no stale advice
    expect(bobSaid).toMatch(/alice/); // peers --all lists the first user
    expect(bobSaid).toMatch(/→ alice: sent; the recipient is online/);
    await waitUntil(() => (expect(view).toContain("hi from bob"), true), { timeoutMs: 15_000 });

    // 3. The first user answers; `<message id>` is the id its send printed.
    let lastId = "";
    for (const line of aliceBlock) {
      const argv = words(line);
      expect(argv[0], line).toBe("claudemesh");
      const args = argv
        .slice(1)
        .map((w) => (w === "<message" ? lastId : w))
        .filter((w) => w !== "id>");
      const result = await alice.run(args);
      expect(result.code, `${line}\n${result.stdout}${result.stderr}`).toBe(0);
      if (args[0] === "inbox") expect(result.stdout).toMatch(/hi from bob/);
      if (args[0] === "send") {
        lastId = /^(\S+) → bob: sent/m.exec(result.stdout)?.[1] ?? "";
        expect(lastId, result.stdout).not.toBe("");
      }
      if (args[0] === "message") expect(result.stdout).toMatch(/bob\s+\S+\s+(delivered|queued|held)/);
    }
    child.kill("SIGINT");
  }, 120_000);
});
