/** Flags of the memory verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const REMEMBER_FLAGS = defineFlags({
  tags: { type: "list", valueName: "a,b", description: "tags stored with the memory (plaintext metadata)" },
});
