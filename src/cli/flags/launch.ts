/** Flags of the `launch` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { MESSAGE_MODES } from "../../protocol/constants.js";
import { defineFlags } from "../command.js";

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
