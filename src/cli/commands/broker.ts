/** `claudemesh broker`: runs a broker in this process until Ctrl-C / SIGTERM (handlers/broker.ts). */
import { DEFAULT_BROKER_PORT } from "../../protocol/constants.js";
import { defineFlags, defineVerb } from "../command.js";

export const BROKER_FLAGS = defineFlags({
  host: { type: "string", valueName: "host", default: "127.0.0.1", description: "address to listen on" },
  port: {
    type: "number",
    valueName: "port",
    default: DEFAULT_BROKER_PORT,
    description: "port (0 picks a free one)",
  },
  data: { type: "string", valueName: "dir", description: "data directory (default: ~/.claudemesh/broker)" },
  databaseUrl: {
    type: "string",
    valueName: "postgres://…",
    description: "use PostgreSQL (also DATABASE_URL)",
  },
  publicUrl: {
    type: "string",
    valueName: "url",
    description: "the address invite links carry, e.g. https://mesh.example.com",
  },
  basePath: { type: "string", valueName: "/p", description: "path prefix a reverse proxy strips" },
  maxPeersPerMesh: { type: "number", valueName: "n", description: "presences per mesh (default 100)" },
  sendRate: { type: "string", valueName: "N/min", description: "sends per member per minute (default 60)" },
  sendBurst: { type: "number", valueName: "n", description: "send burst per member (default 10)" },
  frameRate: {
    type: "string",
    valueName: "N/s",
    description: "other frames per connection per second (default 50)",
  },
  // Protocol timers, shortened by test suites so they need not wait out the real values.
  claimLeaseMs: {
    type: "number",
    valueName: "ms",
    description: "testing: delivery claim lease (default 30000)",
  },
  helloTimeoutMs: { type: "number", valueName: "ms", description: "testing: hello deadline (default 10000)" },
  workingSweepMs: {
    type: "number",
    valueName: "ms",
    description: "testing: working-status sweep interval (default 15000)",
  },
  workingTimeoutMs: {
    type: "number",
    valueName: "ms",
    description: "testing: unrefreshed working → idle after (default 60000)",
  },
  hookWorkingTimeoutMs: {
    type: "number",
    valueName: "ms",
    description: "testing: hook-set working → idle after (default 300000)",
  },
});

export const brokerVerb = defineVerb({
  path: ["broker"],
  section: "Getting started",
  summary: "Run a broker in the foreground (SQLite by default, PostgreSQL with --database-url)",
  description:
    "On first start it creates an admin token (stored 0600 as <data dir>/admin-token) and prints it once.\n" +
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
