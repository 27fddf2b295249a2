/** Flags of the `topic` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const TOPIC_CREATE_FLAGS = defineFlags({
  description: {
    type: "string",
    valueName: "text",
    description: "what the topic is for (plaintext metadata)",
  },
  private: { type: "boolean", description: "only members a lead adds can read and post" },
});

export const TOPIC_JOIN_FLAGS = defineFlags({
  member: {
    type: "string",
    valueName: "peer",
    description: "a lead adds this member (a display name or key prefix) to a private topic",
  },
});

export const TOPIC_HISTORY_FLAGS = defineFlags({
  limit: {
    type: "number",
    valueName: "n",
    description: "at most this many, the newest (1-200)",
    default: 50,
  },
  before: { type: "string", valueName: "id", description: "only messages older than this message id" },
});
