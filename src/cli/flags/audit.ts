/** Flags of the `audit` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const AUDIT_LOG_FLAGS = defineFlags({
  limit: {
    type: "number",
    valueName: "n",
    default: 100,
    description: "how many entries, newest first (1-500)",
  },
});
