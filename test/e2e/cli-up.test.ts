/**
 * `claudemesh up`: from nothing to a local mesh (broker process, mesh `local`, daemon, invite link),
 * idempotent on a second run, and a live view that shows a second user's message until Ctrl-C.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pidAlive } from "../../src/host/process-info.js";
import { waitUntil } from "../helpers/deadline.js";
import { CLI_BIN, CliUser, ROOT } from "../helpers/cli.js";

interface UpJson {
  schema_version: string;
  broker_url: string;
  broker_started: boolean;
  broker_pid: number | null;
  mesh: { mesh_id: string; slug: string; name: string; role: string; display_name: string };
  mesh_created: boolean;
  daemon_pid: number;
  dashboard_url: string;
  invite: { link: string; code: string; role: string; expires_at: string; max_uses: number } | null;
}

let alice: CliUser;
let bob: CliUser;

function brokerPid(): number | null {
  try {
    return Number(readFileSync(join(alice.configDir, "broker", "broker.pid"), "utf8").trim());
  } catch {
    return null;
  }
}

beforeAll(() => {
  // Alice's daemon would wait ten minutes to reconnect to a broker that went away: only `up`, which
  // starts the broker again, ends the wait (the daemon retries at once when asked to reload).
  alice = new CliUser("up-alice", { CLAUDEMESH_RECONNECT_STEPS_MS: "600000" });
  bob = new CliUser("up-bob");
});

afterAll(async () => {
  const pid = brokerPid();
  await Promise.all([alice, bob].map((u) => u?.dispose()));
  if (pid) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
});

/** `claudemesh up` in the foreground as alice: its live view, all it prints, and its exit. */
function liveView(): { live: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const live = spawn(process.execPath, [CLI_BIN, "up"], {
    cwd: ROOT,
    env: alice.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  live.stdout.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  live.stderr.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  const exited = new Promise<number | null>((resolve) => live.once("exit", (code) => resolve(code)));
  return { live, output: () => text, exited };
}

/** Until the live view says it is watching (the list of peers is printed above that line). */
async function watching(view: { output: () => string }, timeoutMs = 30_000): Promise<void> {
  await waitUntil(() => view.output().includes("watching for activity"), {
    timeoutMs,
    message: view.output(),
  });
}

describe("claudemesh up", () => {
  let first: UpJson;

  it("starts a broker, creates mesh local, starts the daemon and makes an invite", async () => {
    first = await alice.runJson<UpJson>(["up", "--port", "0", "--name", "alice"], { timeoutMs: 60_000 });
    expect(first).toMatchObject({
      schema_version: "1",
      broker_started: true,
      mesh_created: true,
      mesh: { slug: "local", name: "local", role: "owner", display_name: "alice" },
    });
    expect(first.broker_url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    expect(first.invite?.link).toMatch(/^claudemesh:\/\/join\/127\.0\.0\.1:\d+\/[A-Z2-9]{8}\?tls=0#/);
    expect(first.broker_pid).toBe(brokerPid());
    expect(first.dashboard_url).toBe(`${first.broker_url.replace(/^ws:/, "http:").replace(/\/ws$/, "")}/`);
  }, 90_000);

  it("passes doctor", async () => {
    const result = await alice.run(["doctor", "--json"]);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      checks: Array<{ name: string; level: string }>;
    };
    expect(result.code, result.stdout).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks).toContainEqual(expect.objectContaining({ name: "daemon", level: "ok" }));
    expect(report.checks).toContainEqual(
      expect.objectContaining({ name: `broker ${first.broker_url}`, level: "ok" }),
    );
    expect(report.checks).toContainEqual(
      expect.objectContaining({ name: "Claude Code MCP server", level: "warn" }),
    );
  });

  it("reuses everything when run again", async () => {
    const again = await alice.runJson<UpJson>(["up"], { timeoutMs: 60_000 });
    expect(again).toMatchObject({
      broker_url: first.broker_url,
      broker_started: false,
      mesh_created: false,
      daemon_pid: first.daemon_pid,
      mesh: { mesh_id: first.mesh.mesh_id },
    });
    expect(again.invite?.code).not.toBe(first.invite?.code);
  }, 90_000);

  it("shows a second user's message in the live view and stops on Ctrl-C", async () => {
    await bob.runJson(["join", first.invite?.link ?? "", "--name", "bob"]);
    const view = liveView();
    const { live, exited } = view;
    try {
      await watching(view);
      expect(view.output()).toContain(`web     ${first.dashboard_url}`);
      const sent = await bob.run(["send", "alice", "hello from bob"]);
      expect(sent.code, sent.stderr).toBe(0);
      await waitUntil(() => /bob .*→ you: hello from bob/.test(view.output()), {
        timeoutMs: 15_000,
        message: view.output(),
      });
      live.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      live.kill("SIGKILL");
    }
  }, 90_000);

  it("shows each join, leave, broker loss and return once in the live view, across broker restarts", async () => {
    const view = liveView();
    const { live } = view;
    const output = view.output;
    const count = (pattern: RegExp): number =>
      output()
        .split("\n")
        .filter((l) => pattern.test(l)).length;
    const bobLines = (): string[] =>
      output()
        .split("\n")
        .filter((l) => /^[+-] bob .*control-plane/.test(l));
    const until = (what: () => boolean, timeoutMs = 30_000): Promise<boolean> =>
      waitUntil(what, { timeoutMs, message: `not shown in time:\n${output()}` }).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${output()}`);
      });
    try {
      await until(() => output().includes("watching for activity"));
      // Bob's daemon is online: listed, as its joins and leaves are shown below.
      expect(output().split("peers online:")[1]).toMatch(/bob\s+control-plane/);
      expect((await bob.run(["daemon", "down"])).code).toBe(0);
      await until(() => count(/^- bob .* left local/) === 1);
      expect((await bob.run(["daemon", "up"])).code).toBe(0);
      await until(() => count(/^\+ bob .* joined local/) === 1);

      const restarts = 3;
      for (let i = 1; i <= restarts; i++) {
        const pid = brokerPid();
        expect(pid).not.toBeNull();
        process.kill(pid ?? 0, "SIGTERM");
        await until(() => count(/^broker disconnected \(local\)/) === i);
        await until(() => !pidAlive(pid ?? 0));
        expect((await alice.run(["up", "--detach"], { timeoutMs: 60_000 })).code).toBe(0);
        await until(() => count(/^broker reconnected \(local\)/) === i);
      }
      // Bob's daemon is back online: the last thing the view says about it is that it joined.
      await until(() => bobLines().at(-1)?.startsWith("+") === true);
      expect(count(/^broker disconnected/)).toBe(restarts);
      expect(count(/^broker reconnected/)).toBe(restarts);
      // Joins and leaves alternate: never "joined" twice without "left" in between, or the reverse.
      const signs = bobLines().map((l) => l[0]);
      expect(signs[0], output()).toBe("-"); // bob's daemon was online when the view started
      signs.slice(1).forEach((sign, i) => expect(sign, output()).not.toBe(signs[i]));
      live.kill("SIGINT");
    } finally {
      live.kill("SIGKILL");
    }
  }, 120_000);

  it("after its broker died, starts it again and watches while the daemon reconnects, with no error", async () => {
    const pid = brokerPid();
    expect(pid).not.toBeNull();
    process.kill(pid ?? 0, "SIGKILL");
    await waitUntil(() => !pidAlive(pid ?? 0), { timeoutMs: 15_000, message: "the broker did not die" });
    const view = liveView();
    const { live, exited } = view;
    try {
      await watching(view, 60_000);
      expect(view.output()).toContain("broker  ws://");
      expect(view.output()).not.toContain("error:");
      // Bob's daemon may be in the middle of a long reconnect wait: a reload (SIGHUP) ends it.
      const bobDaemon = bob.daemonPid();
      expect(bobDaemon).not.toBeNull();
      process.kill(bobDaemon ?? 0, "SIGHUP");
      // Whether the daemon was back before the list or came back after, bob ends up shown online.
      await waitUntil(() => /bob/.test(view.output().split("peers online:")[1] ?? ""), {
        timeoutMs: 30_000,
        message: view.output(),
      });
      live.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      live.kill("SIGKILL");
    }
  }, 120_000);
});
