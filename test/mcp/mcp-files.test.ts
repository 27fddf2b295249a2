/**
 * The file tools of `claudemesh mcp` (cli.md "The MCP server"), driven by the MCP SDK's Client against a
 * real broker and daemons: share_file to one peer (who reads it back through the CLI), get_file of a file
 * a peer shared, and an error result (not an exception) for a file that does not exist.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useMcpTools } from "../helpers/claude-code.js";

const tools = useMcpTools("mcp-files");
const call = tools.call;

describe("file tools", () => {
  it("share_file to one peer, get_file of a peer's file, an error result for an unknown id", async () => {
    const source = join(tools.mesh.alice.root, "plan.md");
    writeFileSync(source, "# the plan\n");
    const shared = await call("share_file", { path: source, to: [tools.mesh.bobName] });
    expect(shared.isError).toBe(false);
    const id = /as file ([A-Za-z0-9]+)/.exec(shared.text)?.[1];
    expect(id).toBeDefined();
    const target = join(tools.mesh.bob.root, "plan.md");
    await tools.mesh.bob.runJson(["file", "get", id!, "-o", target]);
    expect(readFileSync(target, "utf8")).toBe("# the plan\n");

    const reply = join(tools.mesh.bob.root, "reply.txt");
    writeFileSync(reply, "looks good\n");
    const back = await tools.mesh.bob.runJson<{ id: string }>(["file", "share", reply, "--to", "alice"]);
    const saved = join(tools.mesh.alice.root, "reply-from-bob.txt");
    const got = await call("get_file", { id: back.id, path: saved });
    expect(got.isError).toBe(false);
    expect(got.text).toContain(saved);
    expect(readFileSync(saved, "utf8")).toBe("looks good\n");

    const missing = await call("get_file", {
      id: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      path: join(tools.mesh.alice.root, "x"),
    });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain("no file");
  });
});
