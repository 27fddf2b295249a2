/** Flags of the `skill` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const SKILL_SHARE_FLAGS = defineFlags({
  file: { type: "string", valueName: "SKILL.md", description: "the skill file (required)" },
  description: {
    type: "string",
    valueName: "text",
    description: "one line on what it does (default: the file's front-matter description)",
  },
  tags: { type: "list", valueName: "a,b", description: "tags to find it by" },
});
