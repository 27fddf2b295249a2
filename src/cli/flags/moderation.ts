/** Flags of the `moderation` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const BAN_FLAGS = defineFlags({
  reason: { type: "string", valueName: "text", description: "recorded with the ban" },
});
