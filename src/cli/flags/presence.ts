/** Flags of the `presence` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const GROUP_JOIN_FLAGS = defineFlags({
  role: { type: "string", valueName: "role", description: "your role in the group, e.g. lead" },
});
