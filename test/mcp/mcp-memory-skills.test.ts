/**
 * Memory and skills in `claudemesh mcp`, driven by the MCP SDK's own Client against real daemons and a real
 * broker: mesh skills as prompts and `skill://claudemesh/<name>` resources, list_changed notifications when
 * another user shares or removes one, and the `remember` / `recall` tools.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/broker.js";
import { McpUnderTest, twoUsers, type TwoUsers } from "../helpers/claude-code.js";

let mesh: TwoUsers;
const running: McpUnderTest[] = [];
let skillFile = "";

async function mcp(): Promise<McpUnderTest> {
  const server = await McpUnderTest.start(mesh.alice.env, ["--message-mode", "off"]);
  running.push(server);
  return server;
}

function textOf(result: unknown): string {
  const content = (result as { content: Array<{ type: string; text: string }> }).content;
  return content.map((c) => c.text).join("\n");
}

beforeAll(async () => {
  // A short skill poll, so a change shows within the test.
  mesh = await twoUsers("mcpskills", { aliceEnv: { CLAUDEMESH_MCP_SKILL_POLL_MS: "200" } });
  skillFile = join(mesh.bob.root, "SKILL.md");
  writeFileSync(skillFile, "---\ndescription: Review a pull request\n---\nRead the diff, then the tests.\n");
  await mesh.bob.runJson(["skill", "share", "review", "--file", skillFile]);
}, 120_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((m) => m.close().catch(() => undefined)));
});

afterAll(async () => {
  await mesh?.dispose();
});

describe("mesh skills as prompts and resources", () => {
  it("declares prompts and resources with listChanged, and serves each skill as both", async () => {
    const server = await mcp();
    const caps = server.client.getServerCapabilities();
    expect(caps?.prompts).toEqual({ listChanged: true });
    expect(caps?.resources).toEqual({ listChanged: true });

    const { prompts } = await server.client.listPrompts();
    expect(prompts).toEqual([
      { name: "review", description: `Review a pull request (shared on the mesh by ${mesh.bobName})` },
    ]);
    const prompt = await server.client.getPrompt({ name: "review" });
    expect(prompt.messages).toEqual([
      { role: "user", content: { type: "text", text: "Read the diff, then the tests." } },
    ]);

    const { resources } = await server.client.listResources();
    expect(resources).toEqual([
      expect.objectContaining({
        uri: "skill://claudemesh/review",
        name: "review",
        mimeType: "text/markdown",
      }),
    ]);
    const read = await server.client.readResource({ uri: "skill://claudemesh/review" });
    expect(read.contents).toEqual([
      { uri: "skill://claudemesh/review", mimeType: "text/markdown", text: "Read the diff, then the tests." },
    ]);

    await expect(server.client.getPrompt({ name: "missing" })).rejects.toThrow(
      /no mesh skill named "missing"/,
    );
    await expect(server.client.readResource({ uri: "file:///etc/passwd" })).rejects.toThrow(
      /unknown resource/,
    );
  });

  it("tells the client when another user shares or removes a skill", async () => {
    const server = await mcp();
    const changes = (method: string) => server.notifications.filter((n) => n.method === method).length;
    // What the client has seen is the baseline a change is announced against.
    expect((await server.client.listPrompts()).prompts.map((p) => p.name)).toEqual(["review"]);

    await mesh.bob.runJson(["skill", "share", "deploy", "--file", skillFile, "--description", "Ship it"]);
    await waitUntil(
      () =>
        changes("notifications/prompts/list_changed") >= 1 &&
        changes("notifications/resources/list_changed") >= 1
          ? true
          : undefined,
      { timeoutMs: 10_000, message: "no list_changed after a share" },
    );
    expect((await server.client.listPrompts()).prompts.map((p) => p.name)).toEqual(["deploy", "review"]);

    const before = changes("notifications/prompts/list_changed");
    await mesh.bob.runJson(["skill", "remove", "deploy"]);
    await waitUntil(() => (changes("notifications/prompts/list_changed") > before ? true : undefined), {
      timeoutMs: 10_000,
      message: "no list_changed after a remove",
    });
    expect((await server.client.listPrompts()).prompts.map((p) => p.name)).toEqual(["review"]);
  });
});

describe("remember and recall tools", () => {
  it("remembers for the mesh and recalls what another user remembered", async () => {
    const server = await mcp();
    const { tools } = await server.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["remember", "recall"]));

    const stored = await server.client.callTool({
      name: "remember",
      arguments: { content: "the release branch is cut on Thursdays", tags: ["release"] },
    });
    expect(stored.isError).toBeFalsy();
    expect(textOf(stored)).toMatch(/^Remembered \(id [0-9a-f-]+\)/);

    const seen = await mesh.bob.runJson<{ memories: Array<{ content: string; remembered_by: string }> }>([
      "recall",
      "release",
      "thursdays",
    ]);
    expect(seen.memories).toEqual([
      expect.objectContaining({ content: "the release branch is cut on Thursdays", remembered_by: "alice" }),
    ]);

    await mesh.bob.runJson(["remember", "bob's canary runs on port 9090"]);
    const found = await server.client.callTool({ name: "recall", arguments: { query: "canary port" } });
    expect(textOf(found)).toContain("bob's canary runs on port 9090");
    expect(textOf(found)).toContain(`by ${mesh.bobName}`);

    const none = await server.client.callTool({ name: "recall", arguments: { query: "nothing like this" } });
    expect(textOf(none)).toMatch(/^No memory contains every word/);
    const bad = await server.client.callTool({ name: "recall", arguments: { query: "a" } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain("no searchable words");
  });
});
