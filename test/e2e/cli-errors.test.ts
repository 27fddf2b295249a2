/**
 * Bad input and broken environments, through the real binary: each gives one line saying what is wrong
 * and how to fix it, the documented exit code, and never a stack trace. Plus `--help` for every verb.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERBS } from "../../src/cli/table.js";
import { flagTerm, verbFlags } from "../../src/cli/help.js";
import { startBroker, waitUntil } from "../helpers/broker.js";
import { CliUser, json, type CliResult } from "../helpers/cli.js";

let user: CliUser;

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function expectOneLineError(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).toMatch(/ — /); // the fix follows the dash
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  user = new CliUser("errors");
});

afterAll(async () => {
  await user?.dispose();
});

describe("bad input", () => {
  it("unknown verb: exit 2 with a suggestion", async () => {
    expectOneLineError(
      await user.run(["sned", "bob", "hi"]),
      2,
      /unknown command 'sned' \(did you mean send\?\)/,
    );
  });

  it("missing argument: exit 2 and the verb's help named", async () => {
    expectOneLineError(
      await user.run(["send", "bob"]),
      2,
      /missing required argument 'message'.*claudemesh send --help/,
    );
  });

  it("bad flag values: exit 2", async () => {
    expectOneLineError(
      await user.run(["send", "bob", "hi", "--priority", "urgent"]),
      2,
      /allowed: now, next, low/,
    );
    expectOneLineError(await user.run(["invite", "--uses", "many"]), 2, /expected a whole number/);
    expectOneLineError(await user.run(["invite", "--expires", "soon"]), 2, /duration/);
    expectOneLineError(await user.run(["peers", "--bogus"]), 2, /unknown option '--bogus'/);
  });

  it("an unknown verb of a group: exit 2 with a suggestion, or the verb of its own it names", async () => {
    expectOneLineError(
      await user.run(["daemon", "stats"]),
      2,
      /unknown command 'daemon stats' \(did you mean daemon status\?\).*claudemesh daemon --help/,
    );
    expectOneLineError(
      await user.run(["mesh", "list"]),
      2,
      /unknown command 'mesh list' \(did you mean claudemesh list\?\)/,
    );
    expectOneLineError(
      await user.run(["daemon", "doctor"]),
      2,
      /unknown command 'daemon doctor' \(did you mean claudemesh doctor\?\)/,
    );
    expectOneLineError(await user.run(["mesh", "zzzzzz"]), 2, /unknown command 'mesh zzzzzz' — /);
  });

  it("a verb group without its verb: exit 2 listing the verbs", async () => {
    expectOneLineError(await user.run(["mesh"]), 2, /needs a verb: create/);
  });

  it("--json errors go to stderr as one JSON document", async () => {
    const result = await user.run(["send", "bob", "hi", "--priority", "urgent", "--json"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const error = JSON.parse(result.stderr) as { schema_version: string; error: Record<string, string> };
    expect(error).toEqual({
      schema_version: "1",
      error: {
        code: "invalid_argument",
        message: expect.stringMatching(/priority/),
        hint: expect.any(String),
      },
    });
  });

  it("a mesh verb with no mesh joined: exit 2 saying how to get one", async () => {
    expectOneLineError(await user.run(["invite"]), 2, /join a mesh first.*claudemesh up.*claudemesh join/);
  });

  it("every verb that needs a mesh refuses with no_mesh and starts no daemon when none is joined", async () => {
    const fresh = new CliUser("nomesh");
    try {
      const lines = [
        ["peers"],
        ["send", "bob", "hi"],
        ["inbox"],
        ["status", "idle"],
        ["summary", "reviewing"],
        ["group", "join", "backend"],
        ["group", "list"],
        ["members"],
        ["info"],
        ["message", "status", "cm-1"],
        ["invite"],
        ["kick", "bob"],
        ["ban", "bob"],
        ["unban", "bob"],
        ["launch"],
        ["open", "--print"],
      ];
      for (const args of lines) {
        expectOneLineError(
          await fresh.run(args),
          2,
          /join a mesh first.*claudemesh up.*claudemesh join <link>/,
        );
      }
      const asJson = await fresh.run(["peers", "--json"]);
      expect(asJson.code).toBe(2);
      expect((JSON.parse(asJson.stderr) as { error: { code: string } }).error.code).toBe("no_mesh");
      expect(fresh.daemonPid()).toBeNull();
      expect(existsSync(join(fresh.daemonDir, "daemon.sock"))).toBe(false);
    } finally {
      await fresh.dispose();
    }
    // Seventeen CLI processes one after another: on a loaded machine each can take seconds to start.
  }, 120_000);

  it("a malformed invite link: exit 2", async () => {
    expectOneLineError(
      await user.run(["join", `https://example.com/nope#${"A".repeat(43)}`]),
      2,
      /not an invite link/,
    );
  });
});

describe("unreachable broker", () => {
  it("mesh create against a closed port: exit 4", async () => {
    const port = await closedPort();
    const result = await user.run([
      "mesh",
      "create",
      "x",
      "--broker",
      `ws://127.0.0.1:${port}/ws`,
      "--admin-token",
      "t",
    ]);
    expectOneLineError(result, 4, /cannot reach the broker/);
  });

  it("join with a link to a closed port: exit 4", async () => {
    const port = await closedPort();
    const link = `claudemesh://join/127.0.0.1:${port}/ABCDEFGH?tls=0#${"A".repeat(43)}`;
    expectOneLineError(await user.run(["join", link]), 4, /cannot reach the broker/);
  });
});

describe("a broker that went away", () => {
  it("direct and daemon paths both exit 4 with the fix", async () => {
    const broker = await startBroker();
    const lonely = new CliUser("lonely");
    try {
      await lonely.runJson([
        "mesh",
        "create",
        "gone",
        "--broker",
        broker.url,
        "--admin-token",
        broker.adminToken,
      ]);
      await broker.stop();
      const direct = await lonely.run(["peers", "--no-daemon"]);
      expectOneLineError(direct, 4, /broker|connect/i);
      // Nothing outlives a --no-daemon command: its hint promises no reconnecting daemon.
      expect(direct.stderr).not.toMatch(/daemon keeps reconnecting/);
      const viaDaemon = await lonely.run(["peers"]);
      expect(viaDaemon.code, viaDaemon.stderr).toBe(4);
      expect(viaDaemon.stderr.split("\n")[0]).toMatch(/^error: .* — /);
    } finally {
      await lonely.dispose();
      await broker.dispose();
    }
  });
});

describe("daemon that cannot start", () => {
  it("an unusable daemon dir: exit 4 with the fix", async () => {
    const blocker = join(user.root, "not-a-dir");
    writeFileSync(blocker, "");
    const result = await user.run(["daemon", "up"], {
      env: { CLAUDEMESH_DAEMON_DIR: join(blocker, "daemon") },
    });
    expectOneLineError(result, 4, /cannot use the daemon directory.*CLAUDEMESH_DAEMON_DIR/);
  });

  it("an invalid config: exit 2 with the config's own error, and no daemon is started", async () => {
    const broken = new CliUser("badconfig");
    try {
      mkdirSync(broken.configDir, { recursive: true, mode: 0o700 });
      const config = join(broken.configDir, "config.json");
      writeFileSync(config, "{ not json", { mode: 0o600 });
      expectOneLineError(
        await broken.run(["daemon", "up"]),
        2,
        new RegExp(
          `^error: ${config.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not valid JSON .* — fix the file`,
        ),
      );
      writeFileSync(config, JSON.stringify({ version: 1, meshes: [{ slug: 7 }] }), { mode: 0o600 });
      const second = await broken.run(["daemon", "up", "--json"]);
      expect(second.code).toBe(2);
      const error = json<{ error: { code: string; message: string; hint: string } }>({
        ...second,
        stdout: second.stderr,
      });
      expect(error.error).toEqual({
        code: "config_invalid",
        message: expect.stringMatching(/config\.json: field "meshes\.0\./),
        hint: expect.stringContaining("fix the file"),
      });
      expect(existsSync(join(broken.daemonDir, "daemon.log"))).toBe(false);
    } finally {
      await broken.dispose();
    }
  });

  it("a daemon that dies at start: exit 4, then fails fast instead of spawning again", async () => {
    const broken = new CliUser("broken");
    try {
      // The daemon cannot open its outbox database where a directory stands.
      mkdirSync(join(broken.daemonDir, "outbox.db"), { recursive: true, mode: 0o700 });
      const first = await broken.run(["daemon", "up"]);
      expect(first.code, first.stderr).toBe(4);
      expect(first.stderr.split("\n")[0]).toMatch(
        /^error: the claudemesh daemon did not start.*daemon up --foreground/,
      );
      expect(first.stderr).not.toMatch(/\n\s+at /);
      const second = await broken.run(["daemon", "up", "--json"]);
      expect(second.code).toBe(4);
      const error = json<{ error: { code: string; message: string } }>({ ...second, stdout: second.stderr });
      expect(error.error.code).toBe("daemon_spawn_failed");
      expect(error.error.message).toMatch(/less than 30 s ago/);
    } finally {
      await broken.dispose();
    }
  });
});

describe("daemon lifecycle", () => {
  it("concurrent commands start exactly one daemon, and `daemon up` twice is a no-op that says so", async () => {
    const fresh = new CliUser("spawn");
    try {
      const results = await Promise.all([1, 2, 3].map(() => fresh.run(["daemon", "up", "--json"])));
      for (const result of results) expect(result.code, result.stderr).toBe(0);
      const log = readFileSync(join(fresh.daemonDir, "daemon.log"), "utf8");
      expect(log.match(/daemon started/g)).toHaveLength(1);
      expect(log).not.toMatch(/already running/);
      const again = await fresh.run(["daemon", "up"]);
      expect(again.stdout).toMatch(/already running \(pid \d+\)/);
      const status = json<{ running: boolean; pid: number; socket: string }>(
        await fresh.run(["daemon", "status", "--json"]),
      );
      expect(status).toMatchObject({
        running: true,
        pid: fresh.daemonPid(),
        socket: join(fresh.daemonDir, "daemon.sock"),
      });
      expect((await fresh.run(["daemon", "down"])).stdout).toMatch(/stopped the daemon/);
      expect(json<{ running: boolean }>(await fresh.run(["daemon", "status", "--json"])).running).toBe(false);
    } finally {
      await fresh.dispose();
    }
  });
});

describe("a daemon dir removed under a running daemon", () => {
  it("the next command starts another daemon, and the old one stops without touching it", async () => {
    const owner = new CliUser("dir-removed");
    let first: number | null = null;
    try {
      expect((await owner.run(["daemon", "up"])).code).toBe(0);
      first = owner.daemonPid();
      if (first === null) throw new Error("no daemon.pid after daemon up");
      const old = first;
      rmSync(owner.daemonDir, { recursive: true, force: true });

      const again = await owner.run(["daemon", "up", "--json"]);
      expect(again.code, again.stderr).toBe(0);
      const second = json<{ pid: number; started: boolean }>(again);
      expect(second.started).toBe(true);
      expect(second.pid).not.toBe(old);
      await waitUntil(() => !alive(old), { timeoutMs: 30_000, message: "the old daemon did not stop" });
      const status = json<{ running: boolean; pid: number }>(await owner.run(["daemon", "status", "--json"]));
      expect(status).toMatchObject({ running: true, pid: second.pid });
      expect(existsSync(join(owner.daemonDir, "daemon.sock"))).toBe(true);
    } finally {
      if (first !== null && alive(first)) process.kill(first, "SIGKILL");
      await owner.dispose();
    }
  }, 90_000);
});

describe("doctor and the daemon", () => {
  interface DoctorJson {
    ok: boolean;
    checks: Array<{ name: string; level: string; detail: string; fix: string | null }>;
  }

  it("a daemon not running yet is a warning: it starts on demand", async () => {
    const fresh = new CliUser("doctor-fresh");
    try {
      const result = await fresh.run(["doctor", "--json"]);
      const doctor = json<DoctorJson>(result);
      expect(doctor.checks).toContainEqual(
        expect.objectContaining({ name: "daemon", level: "warn", fix: "claudemesh daemon up" }),
      );
      expect(doctor.checks.filter((check) => check.level === "fail")).toEqual([]);
      expect(doctor.ok).toBe(true);
      expect(result.code).toBe(0);
    } finally {
      await fresh.dispose();
    }
  });

  it("a daemon pid that is alive but does not answer is a failure", async () => {
    const stuck = new CliUser("doctor-stuck");
    // A live claudemesh process that serves no socket (its command line names claudemesh).
    const hung = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "claudemesh"], {
      stdio: "ignore",
    });
    const pidFile = join(stuck.daemonDir, "daemon.pid");
    try {
      mkdirSync(stuck.daemonDir, { recursive: true, mode: 0o700 });
      writeFileSync(pidFile, `${hung.pid}\n`, { mode: 0o600 });
      const result = await stuck.run(["doctor", "--json"]);
      expect(result.code).toBe(1);
      expect(json<DoctorJson>(result).checks).toContainEqual(
        expect.objectContaining({
          name: "daemon",
          level: "fail",
          detail: expect.stringContaining(`pid ${hung.pid} `),
        }),
      );
    } finally {
      hung.kill("SIGKILL");
      rmSync(pidFile, { force: true });
      await stuck.dispose();
    }
  });
});

describe("--help", () => {
  it("works for the whole CLI", async () => {
    const result = await user.run(["--help"]);
    expect(result.code).toBe(0);
    for (const verb of VERBS) expect(result.stdout).toContain(verb.path.join(" "));
  });

  it("works for every verb in the table and names all its flags", async () => {
    const results = await Promise.all(VERBS.map((verb) => user.run([...verb.path, "--help"])));
    VERBS.forEach((verb, i) => {
      const result = results[i];
      expect(result?.code, verb.path.join(" ")).toBe(0);
      expect(result?.stdout).toContain(`Usage: claudemesh ${verb.path.join(" ")}`);
      for (const [name, flag] of verbFlags(verb)) {
        expect(result?.stdout, `${verb.path.join(" ")} ${name}`).toContain(flagTerm(name, flag));
      }
    });
  });
});

describe("daemon socket and directory permissions", () => {
  /** One request to the daemon's local API over its socket, as any local process could send it. */
  function rawRequest(socketPath: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ socketPath, path: "/v1/health", method: "GET" }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
        );
      });
      req.once("error", reject);
      req.end();
    });
  }

  it("a socket loosened while the daemon runs is refused on the next request, with the fix", async () => {
    const owner = new CliUser("sockmode");
    try {
      expect((await owner.run(["daemon", "up"])).code).toBe(0);
      const socket = join(owner.daemonDir, "daemon.sock");
      expect((await rawRequest(socket)).status).toBe(200);

      chmodSync(socket, 0o777);
      const refused = await rawRequest(socket);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: "insecure_permissions", hint: `chmod 600 ${socket}` });
      expectOneLineError(
        await owner.run(["daemon", "outbox"]),
        3,
        new RegExp(`daemon\\.sock is mode 777.* — chmod 600 .*daemon\\.sock`),
      );
      const doctor = json<{ checks: Array<{ name: string; level: string; fix: string | null }> }>(
        await owner.run(["doctor", "--json"]),
      );
      expect(doctor.checks).toContainEqual(
        expect.objectContaining({ name: "daemon socket", level: "fail", fix: `chmod 600 ${socket}` }),
      );

      chmodSync(socket, 0o600);
      expect((await rawRequest(socket)).status).toBe(200);
    } finally {
      await owner.dispose();
    }
  });

  it("a daemon or config directory others can write: the daemon refuses to start, with the fix", async () => {
    const owner = new CliUser("dirmode");
    try {
      mkdirSync(owner.daemonDir, { recursive: true, mode: 0o700 });
      chmodSync(owner.daemonDir, 0o777);
      expectOneLineError(
        await owner.run(["daemon", "up"]),
        3,
        new RegExp(`will not start: .*daemon is mode 777.* — chmod 700 ${owner.daemonDir}$`),
      );
      // Started directly (as a service manager would), the daemon itself refuses too.
      const foreground = await owner.run(["daemon", "up", "--foreground"], { timeoutMs: 15_000 });
      expect(foreground.code).toBe(3);
      expect(foreground.stderr).toContain(`refusing to start: ${owner.daemonDir} is mode 777`);
      expect(foreground.stderr).toContain(`chmod 700 ${owner.daemonDir}`);
      expect(owner.daemonPid()).toBeNull();
      expect(existsSync(join(owner.daemonDir, "daemon.sock"))).toBe(false);

      chmodSync(owner.daemonDir, 0o700);
      chmodSync(owner.configDir, 0o775);
      expectOneLineError(await owner.run(["daemon", "up"]), 3, new RegExp(`chmod 700 ${owner.configDir}$`));

      chmodSync(owner.configDir, 0o755); // readable is fine: only writable lets others replace the socket
      expect((await owner.run(["daemon", "up"])).code).toBe(0);
    } finally {
      await owner.dispose();
    }
  });
});
