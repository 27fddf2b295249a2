/** Flags of the `talk` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const PEERS_FLAGS = defineFlags({
  all: { type: "boolean", description: "also show control-plane presences (daemons, CLIs)" },
});

export const SEND_FLAGS = defineFlags({
  priority: {
    type: "string",
    valueName: "now|next|low",
    choices: ["now", "next", "low"],
    default: "next",
    description: "now interrupts a working peer; next waits until it is idle; low too",
  },
  replyTo: { type: "string", valueName: "id", description: "the id of the message this answers" },
});
