/** `claudemesh mcp`: the MCP stdio server, started by Claude Code (not by people). */
import { packageVersion } from "../../host/version.js";
import { MESSAGE_MODES } from "../../protocol/constants.js";
import type { MessageMode } from "../../protocol/index.js";
import { defineVerb } from "../command.js";

function isMessageMode(value: string | undefined): value is MessageMode {
  return MESSAGE_MODES.some((mode) => mode === value);
}

export const mcpVerb = defineVerb({
  path: ["mcp"],
  section: "Claude Code integration",
  summary: "The MCP stdio server (started by Claude Code, not by people)",
  description:
    "Pushes inbound messages into the running Claude Code session as channel notifications and offers the\n" +
    "tools send_message, list_peers, read_inbox, get_state and set_state. Logs go to stderr; it exits when\n" +
    "stdin closes or on SIGTERM. Without --message-mode it uses the mode the session was launched with\n" +
    "(push by default).",
  flags: {
    messageMode: {
      type: "string",
      choices: MESSAGE_MODES,
      valueName: "push|inbox|off",
      description: "push each message, only a 'N new messages' notice, or nothing",
    },
  },
  examples: ["claudemesh mcp", "claudemesh mcp --message-mode inbox"],
  async handler(ctx) {
    // Claude Code waits for `initialize`: only the MCP server module loads here (it loads the rest later).
    const { runMcp } = await import("../../mcp/index.js");
    const mode = ctx.flags.messageMode;
    return runMcp({
      messageMode: isMessageMode(mode) ? mode : undefined,
      version: packageVersion(),
      signal: ctx.signal,
    });
  },
});
