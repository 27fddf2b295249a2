/**
 * The file tools of `claudemesh mcp` (cli.md "The MCP server"), driven by the MCP SDK's Client against a
 * real broker and daemons: share_file to one peer (who reads it back through the CLI), get_file of a file
 * a peer shared, and an error result (not an exception) for a file that does not exist.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { McpUnderTest, twoUsers, type TwoUsers } from "../helpers/claude-code.js";

let mesh: TwoUsers;
let mcp: McpUnderTest;

beforeAll(async () => {
  mesh = await twoUsers("mcp-files");
  mcp = await McpUnderTest.start(mesh.alice.env, ["--message-mode", "off"]);
}, 120_000);

afterAll(async () => {
  await mcp?.close().catch(() => undefined);
  await mesh?.dispose();
});

async function call(
  name: string,
  args: Record<string, unknown>,
): Promise<{ text: string; isError: boolean }> {
  const result = await mcp.client.callTool({ name, arguments: args });
  return { text: JSON.stringify(result.content), isError: result.isError === true };
}

describe("file tools", () => {
  it("share_file to one peer, get_file of a peer's file, an error result for an unknown id", async () => {
    const source = join(mesh.alice.root, "plan.md");
    writeFileSync(source, "# the plan\n");
    const shared = await call("share_file", { path: source, to: [mesh.bobName] });
    expect(shared.isError).toBe(false);
    const id = /as file ([A-Za-z0-9]+)/.exec(shared.text)?.[1];
    expect(id).toBeDefined();
    const target = join(mesh.bob.root, "plan.md");
    await mesh.bob.runJson(["file", "get", id!, "-o", target]);
    expect(readFileSync(target, "utf8")).toBe("# the plan\n");

    const reply = join(mesh.bob.root, "reply.txt");
    writeFileSync(reply, "looks good\n");
    const back = await mesh.bob.runJson<{ id: string }>(["file", "share", reply, "--to", "alice"]);
    const saved = join(mesh.alice.root, "reply-from-bob.txt");
    const got = await call("get_file", { id: back.id, path: saved });
    expect(got.isError).toBe(false);
    expect(got.text).toContain(saved);
    expect(readFileSync(saved, "utf8")).toBe("looks good\n");

    const missing = await call("get_file", {
      id: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      path: join(mesh.alice.root, "x"),
    });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain("no file");
  });
});
