/**
 * The task and lease tools of `claudemesh mcp` (cli.md "The MCP server"), driven by the MCP SDK's Client
 * against a real broker and daemons: create, list, claim (a second claim is an error result), complete;
 * acquire (another member's overlapping lease is an error naming the holder), list, release.
 */
import { describe, expect, it } from "vitest";
import { useMcpTools } from "../helpers/claude-code.js";

const tools = useMcpTools("mcp-tasks");
const call = tools.call;

describe("task tools", () => {
  it("create, list, claim once, complete", async () => {
    const created = await call("create_task", { title: "tool-made task", priority: "high" });
    expect(created.isError).toBe(false);
    const id = /Created task ([A-Za-z0-9]+)/.exec(created.text)?.[1];
    expect(id).toBeDefined();
    const listed = await call("list_tasks", { status: "open" });
    expect(listed.text).toContain("tool-made task");
    expect((await call("claim_task", { task_id: id })).text).toContain("You claimed task");
    const again = await call("claim_task", { task_id: id });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/cannot be claimed/);
    expect((await call("complete_task", { task_id: id, result: "shipped" })).text).toContain("done");
    expect((await call("list_tasks", { status: "done" })).text).toContain("shipped");
    expect((await call("claim_task", {})).isError).toBe(true);
  });
});

describe("lease tools", () => {
  it("acquire, refused while another member holds it, list, release", async () => {
    const acquired = await call("acquire_lease", { resource: "docs/", ttl_minutes: 5, reason: "rewrite" });
    expect(acquired.isError).toBe(false);
    expect(acquired.text).toMatch(/You hold .*:docs\/ until/);
    const bob = await tools.mesh.bob.run(["lease", "acquire", "docs/cli.md", "--json"]);
    expect(bob.code).toBe(1);
    expect((await call("list_leases", {})).text).toContain("rewrite");
    expect((await call("release_lease", { resource: "docs/" })).text).toContain("Released");
    const taken = await tools.mesh.bob.runJson<{ resource: string }>(["lease", "acquire", "docs/cli.md"]);
    const refused = await call("acquire_lease", { resource: "docs/cli.md" });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain("is leased by");
    expect(taken.resource).toMatch(/:docs\/cli\.md$/);
  });
});
