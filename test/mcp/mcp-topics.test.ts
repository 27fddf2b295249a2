/**
 * The topic tools of `claudemesh mcp` (cli.md "The MCP server"), driven by the MCP SDK's Client against a
 * real broker and daemons: `post_topic` to `general` (encrypted under the key alice's daemon claimed),
 * `topic_history` reading it back decrypted, bob's post arriving, and a coded error for an unknown topic.
 */
import { describe, expect, it } from "vitest";
import { waitUntil } from "../helpers/broker.js";
import { useMcpTools } from "../helpers/claude-code.js";

const tools = useMcpTools("mcp-topics");
const call = tools.call;

describe("topic tools", () => {
  it("post_topic and topic_history on general; bob's post reads back decrypted", async () => {
    const posted = await call("post_topic", { topic: "#general", message: "tool-made topic post" });
    expect(posted.isError).toBe(false);
    const history = await call("topic_history", { topic: "general" });
    expect(history.text).toContain("tool-made topic post");
    expect(history.text).not.toContain("[unencrypted]");
    await waitUntil(
      async () => (await tools.mesh.bob.run(["topic", "post", "general", "bob-made topic post"])).code === 0,
      { timeoutMs: 20_000, message: "bob never got general's key" },
    );
    expect((await call("topic_history", { topic: "general", limit: 1 })).text).toContain(
      "bob-made topic post",
    );
    const missing = await call("topic_history", { topic: "no-such-topic" });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain("no topic no-such-topic");
  });
});
