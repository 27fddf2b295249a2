/** Flags of the `file` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const FILE_SHARE_FLAGS = defineFlags({
  to: {
    type: "list",
    valueName: "peer",
    description:
      "only these peers may open it (display name or key; repeat or comma-separate); default every member",
  },
  name: { type: "string", valueName: "name", description: "the name others see (default the file's own)" },
  persistent: { type: "boolean", description: "keep it until deleted (default: deleted after 7 days)" },
});

export const FILE_GET_FLAGS = defineFlags({
  output: {
    type: "string",
    short: "o",
    valueName: "path",
    description:
      "the file to write, or a directory to save it in under its shared name (default the current directory)",
  },
  force: { type: "boolean", description: "replace the file if it already exists (default: refuse)" },
});
