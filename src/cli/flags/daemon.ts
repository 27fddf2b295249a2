/** Flags of the `daemon` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const DAEMON_UP_FLAGS = defineFlags({
  foreground: { type: "boolean", description: "run in this process until Ctrl-C, logging to stdout" },
});

export const LOGS_FLAGS = defineFlags({
  follow: { type: "boolean", short: "f", description: "keep printing new lines until Ctrl-C" },
  lines: {
    type: "number",
    short: "n",
    valueName: "n",
    default: 50,
    description: "how many lines to show first",
  },
});

export const OUTBOX_FLAGS = defineFlags({
  pending: { type: "boolean", description: "only sends still waiting or in flight" },
  dead: { type: "boolean", description: "only sends the daemon gave up on (requeue them)" },
  done: { type: "boolean", description: "only sends the broker acknowledged" },
});
