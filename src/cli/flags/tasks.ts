/** Flags of the `task` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const TASK_CREATE_FLAGS = defineFlags({
  assign: { type: "string", valueName: "peer", description: "who should do it (a display name)" },
  priority: {
    type: "string",
    valueName: "low|normal|high|urgent",
    choices: ["low", "normal", "high", "urgent"],
    description: "how urgent it is (default normal)",
  },
  tags: { type: "list", valueName: "a,b", description: "comma-separated tags" },
});

export const TASK_COMPLETE_FLAGS = defineFlags({
  result: { type: "string", valueName: "text", description: "what came of it (encrypted like the title)" },
});

export const TASK_LIST_FLAGS = defineFlags({
  status: {
    type: "string",
    valueName: "open|claimed|done",
    choices: ["open", "claimed", "done"],
    description: "only tasks in this state",
  },
  assignee: { type: "string", valueName: "peer", description: "only tasks assigned to this display name" },
});
