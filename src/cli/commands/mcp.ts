/** `claudemesh mcp`: the MCP stdio server, started by Claude Code (not by people). */
import { MessageMode } from "../../protocol/index.js";
import { defineVerb } from "../command.js";

export const mcpVerb = defineVerb({
  path: ["mcp"],
  section: "Claude Code integration",
  summary: "The MCP stdio server (started by Claude Code, not by people)",
  description:
    "Pushes inbound messages into the running Claude Code session as channel notifications and offers the\n" +
    "tools send_message, list_peers and read_inbox. Logs go to stderr; it exits when stdin closes.\n" +
    "Without --message-mode it uses the mode the session was launched with (push by default).",
  flags: {
    messageMode: {
      type: "string",
      choices: MessageMode.options,
      valueName: "push|inbox|off",
      description: "push each message, only a 'N new messages' notice, or nothing",
    },
  },
  handlesSignals: true,
  examples: ["claudemesh mcp", "claudemesh mcp --message-mode inbox"],
  async handler(ctx) {
    // Loaded here so other verbs never pay for the MCP SDK.
    const [{ runMcp }, { cliVersion }] = await Promise.all([
      import("../../mcp/index.js"),
      import("../main.js"),
    ]);
    const mode = MessageMode.safeParse(ctx.flags.messageMode);
    return runMcp({ messageMode: mode.success ? mode.data : undefined, version: cliVersion() });
  },
});
