/**
 * `claudemesh doctor` names the delivery lanes that are active for the setup, with and without the hooks
 * installed, and inside a launched session.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliUser } from "../helpers/claude-code.js";

interface Lane {
  lane: "channel" | "hooks" | "inbox";
  active: boolean;
  detail: string;
  fix: string | null;
}

let user: CliUser;

async function lanes(env: Record<string, string> = {}): Promise<Lane[]> {
  const result = await user.run(["doctor", "--json"], { env });
  return (JSON.parse(result.stdout) as { lanes: Lane[] }).lanes;
}

beforeAll(async () => {
  user = new CliUser("doctor");
  expect((await user.run(["daemon", "up"])).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await user?.dispose();
});

describe("doctor and the delivery lanes", () => {
  it("without hooks: inbox only (the channel needs `launch`)", async () => {
    const found = await lanes();
    expect(found.map((l) => [l.lane, l.active])).toEqual([
      ["channel", false],
      ["hooks", false],
      ["inbox", true],
    ]);
    expect(found.find((l) => l.lane === "hooks")).toMatchObject({
      fix: "claudemesh install",
      detail: expect.stringMatching(/not installed/),
    });
    expect(found.find((l) => l.lane === "channel")?.fix).toBe("claudemesh launch");
    const human = await user.run(["doctor"]);
    expect(human.stdout).toMatch(/lane: hooks: off — not installed/);
    expect(human.stdout).toMatch(/lane: inbox: active/);
  });

  it("with hooks installed: hooks and inbox; inside a launched session also the channel", async () => {
    expect((await user.run(["install", "--no-service", "--no-skill"])).code).toBe(0);
    const found = await lanes();
    expect(found.map((l) => [l.lane, l.active])).toEqual([
      ["channel", false],
      ["hooks", true],
      ["inbox", true],
    ]);
    expect(found.find((l) => l.lane === "hooks")?.detail).toMatch(
      /installed \(prompt, idle, wait, session-start\)/,
    );
    const inside = await lanes({ CLAUDEMESH_IPC_TOKEN_FILE: "/nonexistent/token" });
    // Loaded, but not confirmed until the model has seen a channel message.
    expect(inside.find((l) => l.lane === "channel")).toMatchObject({
      active: false,
      fix: null,
      detail: expect.stringMatching(/^not confirmed yet/),
    });
    const human = await user.run(["doctor"]);
    expect(human.stdout).toMatch(/lane: hooks: active — installed/);
  });
});
