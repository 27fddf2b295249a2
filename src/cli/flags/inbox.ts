/** Flags of the `inbox` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

export const INBOX_FLAGS = defineFlags({
  unread: { type: "boolean", description: "only messages not surfaced yet" },
  since: {
    type: "string",
    valueName: "time",
    description: "only messages since an ISO time or an age (10m, 2h)",
  },
  follow: {
    type: "boolean",
    short: "f",
    description: "keep running and print new messages as they arrive",
  },
  limit: { type: "number", valueName: "n", description: "at most this many (the newest)", default: 100 },
});
