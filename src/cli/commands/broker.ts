/** `claudemesh broker`: runs a broker in this process until Ctrl-C / SIGTERM (handlers/broker.ts). */
import { defineVerb } from "../command.js";
import { BROKER_FLAGS } from "../flags/broker.js";

export const brokerVerb = defineVerb({
  path: ["broker"],
  section: "Getting started",
  summary: "Run a broker in the foreground (SQLite by default, PostgreSQL with --database-url)",
  description:
    "On first start it creates an admin token (stored 0600 as <data dir>/admin-token) and prints it once\n" +
    "(with --no-print-admin-token, for output kept in a log, only where the file is).\n" +
    "Prints `listening on ws://HOST:PORT/ws` when ready (with --port 0, the port it got). Logs are JSON\n" +
    "lines on stderr. The limits default to the protocol's numbers (docs/protocol.md); 0 lifts one.\n" +
    "Flags marked testing: shorten protocol timers for test suites; never set them on a real broker.",
  flags: BROKER_FLAGS,
  examples: [
    "claudemesh broker",
    "claudemesh broker --host 0.0.0.0 --public-url https://mesh.example.com",
    "claudemesh broker --port 0 --data /tmp/broker",
  ],
  handler: async (ctx) => (await import("../handlers/broker.js")).serveBroker(ctx),
});
