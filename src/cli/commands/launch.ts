/** `claudemesh launch`: a Claude Code session joined to the mesh as its own peer (handlers/launch.ts). */
import { MESSAGE_MODES } from "../../protocol/constants.js";
import { defineFlags, defineVerb } from "../command.js";

export const LAUNCH_FLAGS = defineFlags({
  name: { type: "string", valueName: "display name", description: "how this session appears to peers" },
  role: { type: "string", valueName: "role", description: "a role peers see (e.g. reviewer)" },
  groups: { type: "list", valueName: "a,b", description: "groups to join (hierarchical names a/b/c)" },
  messageMode: {
    type: "string",
    choices: MESSAGE_MODES,
    valueName: "push|inbox|off",
    description: "push each message into the session, only a notice, or nothing (default push)",
  },
  yes: {
    type: "boolean",
    short: "y",
    description: "register claudemesh with Claude Code first (claudemesh install --no-service) if it is not",
  },
});

export const launchVerb = defineVerb({
  path: ["launch"],
  section: "Claude Code integration",
  summary: "Start a Claude Code session joined to the mesh as its own peer",
  description:
    "Everything after `--` goes to claude (e.g. `-- --resume <id>`, `-- --continue`, `-- --model opus`).\n" +
    "The executable is `claude` on PATH, or CLAUDEMESH_CLAUDE_BIN.",
  mesh: true,
  passthrough: true,
  handlesSignals: true,
  flags: LAUNCH_FLAGS,
  examples: [
    "claudemesh launch",
    "claudemesh launch --name reviewer --groups backend -- --model opus",
    "claudemesh launch -- --continue",
  ],
  handler: async (ctx) => (await import("../handlers/launch.js")).launch(ctx),
});
