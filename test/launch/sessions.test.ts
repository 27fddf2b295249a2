/**
 * Two launched sessions of one user, A and B, plus ambient mode (plain `claude`: the MCP server without a
 * session token): a DM to A's session key reaches only A's event stream and inbox; a broadcast reaches
 * both; ambient mode gets member-addressed messages, never another session's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LaunchedSession,
  McpUnderTest,
  daemonOf,
  twoUsers,
  sessionKeySeenBy,
  type TwoUsers,
} from "../helpers/claude-code.js";

let mesh: TwoUsers;
let a: LaunchedSession;
let b: LaunchedSession;
let streamA: McpUnderTest;
let streamB: McpUnderTest;
let ambient: McpUnderTest;
let keyA = "";

async function bodies(tokenFile?: string): Promise<string[]> {
  return (await daemonOf(mesh.alice, tokenFile).call("inbox", { limit: 500 })).messages.map((m) => m.body);
}

beforeAll(async () => {
  mesh = await twoUsers("sessions");
  a = await LaunchedSession.start(mesh.alice, { args: ["--name", "session A"], tag: "a" });
  b = await LaunchedSession.start(mesh.alice, { args: ["--name", "session B"], tag: "b" });
  [streamA, streamB, ambient] = await Promise.all([
    McpUnderTest.start({ ...mesh.alice.env, ...a.sessionEnv() }),
    McpUnderTest.start({ ...mesh.alice.env, ...b.sessionEnv() }),
    McpUnderTest.start(mesh.alice.env),
  ]);
  await Promise.all([streamA.following(), streamB.following(), ambient.following()]);
  keyA = await sessionKeySeenBy(mesh.bob, "session A");
}, 120_000);

afterAll(async () => {
  await Promise.all([streamA, streamB, ambient].map((m) => m?.close().catch(() => undefined)));
  for (const s of [a, b]) s?.kill();
  await mesh?.dispose();
});

describe("sessions of one user", () => {
  it("a DM to A's session key reaches only A's stream and inbox", async () => {
    await mesh.bob.runJson(["send", keyA.slice(0, 12), "for A only"]);
    const note = await streamA.waitForChannel("for A only");
    expect(note.meta.user).toBe(mesh.bobName);
    expect(await bodies(a.record().tokenFile ?? undefined)).toContain("for A only");
    // The daemon fans one event out to every stream at once; A has it, so B and ambient had their chance.
    expect(streamB.channel().some((n) => n.content.includes("for A only"))).toBe(false);
    expect(ambient.channel().some((n) => n.content.includes("for A only"))).toBe(false);
    expect(await bodies(b.record().tokenFile ?? undefined)).not.toContain("for A only");
    expect(await bodies()).not.toContain("for A only");
  });

  it("a broadcast reaches both sessions, and the member (ambient mode)", async () => {
    await mesh.bob.runJson(["send", "*", "hello everyone"]);
    await streamA.waitForChannel("hello everyone");
    await streamB.waitForChannel("hello everyone");
    await ambient.waitForChannel("hello everyone");
  });

  it("ambient mode receives member-addressed messages (and so do the sessions of that member)", async () => {
    await mesh.bob.runJson(["send", "alice", "to the member"]);
    await ambient.waitForChannel("to the member");
    expect(await bodies()).toContain("to the member");
  });

  it("whoami inside a session names the session", async () => {
    const me = await mesh.alice.runJson<{ session?: { session_pubkey: string } }>(["whoami"], {
      env: a.sessionEnv(),
    });
    expect(me.session?.session_pubkey).toBe(keyA);
  });
});
