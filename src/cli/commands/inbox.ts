/** `inbox`: received messages, newest last; `--follow` streams new ones (handlers/inbox.ts). */
import { defineVerb } from "../command.js";
import { INBOX_FLAGS } from "../flags/inbox.js";

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
