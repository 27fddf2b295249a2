/** `inbox`: received messages, newest last; `--follow` streams new ones (handlers/inbox.ts). */
import { defineFlags, defineVerb } from "../command.js";

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

export const inbox = defineVerb({
  path: ["inbox"],
  section: "Talking",
  summary: "Messages received, newest last; --follow streams new ones",
  description:
    "Shown messages are marked surfaced. With --follow --json, each message is printed as one JSON line\n" +
    "({schema_version, message}) after the first document.",
  mesh: true,
  flags: INBOX_FLAGS,
  examples: ["claudemesh inbox --unread", "claudemesh inbox --since 1h --json", "claudemesh inbox -f"],
  handler: async (ctx) => (await import("../handlers/inbox.js")).inbox(ctx),
});
