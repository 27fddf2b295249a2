/**
 * `claudemesh launch` with a fake `claude` (CLAUDEMESH_CLAUDE_BIN) that records its argv and environment:
 * the channel flag, the session id, passthrough args, the 0600 token file, the session in another user's
 * `peers` while it runs and gone after, the exit code passed on; `--resume` / `--continue`; signals.
 */
import { mkdirSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeProjectDir } from "../../src/claude-code/files.js";
import { waitUntil, withTimeout } from "../helpers/broker.js";
import { LaunchedSession, ROOT, twoUsers, type PeerRow, type TwoUsers } from "../helpers/claude-code.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let mesh: TwoUsers;
const sessions: LaunchedSession[] = [];

async function launch(options: Parameters<typeof LaunchedSession.start>[1]): Promise<LaunchedSession> {
  const session = await LaunchedSession.start(mesh.alice, options);
  sessions.push(session);
  return session;
}

async function bobSees(): Promise<PeerRow[]> {
  return (await mesh.bob.runJson<{ peers: PeerRow[] }>(["peers"])).peers;
}

beforeAll(async () => {
  mesh = await twoUsers("launch");
}, 120_000);

afterAll(async () => {
  for (const s of sessions) s.kill();
  await mesh?.dispose();
});

describe("launch", () => {
  it("runs claude with the channel flag, a new --session-id and the passthrough args; the session is a peer while it runs", async () => {
    const s = await launch({
      args: ["--name", "alice laptop", "--", "--model", "opus", "fix the bug"],
      exitCode: 7,
    });
    const record = s.record();
    expect(record.argv.slice(0, 2)).toEqual(["--dangerously-load-development-channels", "server:claudemesh"]);
    const at = record.argv.indexOf("--session-id");
    expect(at).toBeGreaterThan(1);
    expect(record.argv[at + 1]).toMatch(UUID);
    expect(record.argv.slice(-3)).toEqual(["--model", "opus", "fix the bug"]);
    // Not installed for alice: the MCP server comes with this session.
    expect(record.argv.some((a) => a.startsWith("--mcp-config=") && a.includes('"claudemesh"'))).toBe(true);
    expect(record.tokenFile).toEqual(expect.any(String));
    expect(record.tokenMode).toBe(0o600);

    const row = await waitUntil(
      async () => (await bobSees()).find((p) => p.display_name === "alice laptop"),
      {
        timeoutMs: 15_000,
        message: "bob never saw the launched session",
      },
    );
    expect(row).toMatchObject({
      peer_role: "session",
      pubkey: mesh.alicePubkey,
      session_pubkey: expect.any(String),
    });
    expect(row.session_pubkey).not.toBe(mesh.alicePubkey);

    expect(await s.end()).toBe(7);
    await waitUntil(async () => !(await bobSees()).some((p) => p.display_name === "alice laptop"), {
      timeoutMs: 5_000,
      message: "the session stayed in peers after launch exited",
    });
    expect(existsSync(String(record.tokenFile))).toBe(false);
  });

  it("keeps the mesh identity across --resume of the same Claude session", async () => {
    const id = "0b5e9a52-3c55-4d6f-9f3e-7a1d2c4b5e60";
    const first = await launch({ args: ["--name", "resumer", "--", "--resume", id], tag: "r1" });
    expect(first.record().argv).toEqual([
      "--dangerously-load-development-channels",
      "server:claudemesh",
      expect.stringMatching(/^--mcp-config=/),
      "--resume",
      id,
    ]);
    const key1 = (
      await waitUntil(async () => (await bobSees()).find((p) => p.display_name === "resumer"), {
        timeoutMs: 15_000,
      })
    ).session_pubkey;
    expect(await first.end()).toBe(0);
    await waitUntil(async () => !(await bobSees()).some((p) => p.display_name === "resumer"), {
      timeoutMs: 5_000,
    });
    const second = await launch({ args: ["--name", "resumer", "--", "--resume", id], tag: "r2" });
    const key2 = (
      await waitUntil(async () => (await bobSees()).find((p) => p.display_name === "resumer"), {
        timeoutMs: 15_000,
      })
    ).session_pubkey;
    expect(key2).toBe(key1);
    await second.end();
  });

  it("--continue resumes the newest transcript of this directory", async () => {
    const dir = join(mesh.alice.home, ".claude", "projects", encodeProjectDir(ROOT));
    mkdirSync(dir, { recursive: true });
    const older = "11111111-1111-4111-8111-111111111111";
    const newer = "22222222-2222-4222-8222-222222222222";
    writeFileSync(join(dir, `${older}.jsonl`), "{}\n");
    writeFileSync(join(dir, `${newer}.jsonl`), "{}\n");
    utimesSync(join(dir, `${older}.jsonl`), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const s = await launch({ args: ["--", "--continue"], tag: "c" });
    const argv = s.record().argv;
    expect(argv).not.toContain("--continue");
    expect(argv.slice(argv.indexOf("--resume"), argv.indexOf("--resume") + 2)).toEqual(["--resume", newer]);
    expect(argv).not.toContain("--session-id");
    await s.end();
  });

  it("passes SIGTERM on to claude and exits with its status", async () => {
    const s = await launch({ args: ["--name", "terminated"], tag: "t" });
    s.child.kill("SIGTERM");
    const code = await withTimeout(s.exited, 15_000, "launch did not exit on SIGTERM");
    expect(code).toBe(143);
  });

  it("refuses a missing claude binary with exit 2 and says what to do", async () => {
    const result = await mesh.alice.run(["launch"], {
      env: { CLAUDEMESH_CLAUDE_BIN: "/nonexistent/claude" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/CLAUDEMESH_CLAUDE_BIN/);
  });
});
