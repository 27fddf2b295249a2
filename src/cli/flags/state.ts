/** Flags of the `state` and `context` verbs: read by their definitions (commands/) and handlers (handlers/). */
import { defineFlags } from "../command.js";

export const STATE_SET_FLAGS = defineFlags({
  string: { type: "boolean", description: "store the value as a string even when it parses as JSON" },
});

export const CONTEXT_SHARE_FLAGS = defineFlags({
  files: { type: "list", valueName: "a,b", description: "files you read (comma-separated)" },
  findings: { type: "string", valueName: "x;y", description: "key findings, separated by ;" },
  tags: { type: "list", valueName: "a,b", description: "tags others can find your context by" },
});
