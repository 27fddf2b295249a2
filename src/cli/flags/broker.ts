/** Flags of the `broker` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { DEFAULT_BROKER_PORT } from "../../protocol/constants.js";
import { defineFlags } from "../command.js";

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
    description: "store in PostgreSQL at this URL instead of SQLite in the data dir (also DATABASE_URL)",
  },
  publicUrl: {
    type: "string",
    valueName: "url",
    description: "the address invite links carry, e.g. https://mesh.example.com",
  },
  basePath: { type: "string", valueName: "/p", description: "path prefix a reverse proxy strips" },
  printAdminToken: {
    type: "boolean",
    default: true,
    description:
      "print a new admin token (off: only <data dir>/admin-token holds it, for output kept in a log)",
  },
  maxPeersPerMesh: { type: "number", valueName: "n", description: "presences per mesh (default 100)" },
  sendRate: { type: "string", valueName: "N/min", description: "sends per member per minute (default 60)" },
  sendBurst: { type: "number", valueName: "n", description: "send burst per member (default 10)" },
  fileQuota: {
    type: "number",
    valueName: "bytes",
    description: "bytes of files each member may store per mesh (default 1073741824, 1 GiB)",
  },
  rowQuota: {
    type: "number",
    valueName: "n",
    description:
      "state keys, memories, tasks, topics and skills each member may own per mesh, each (default 10000)",
  },
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
  fileRetentionMs: {
    type: "number",
    valueName: "ms",
    description: "testing: non-persistent files are deleted after (default 604800000, 7 days)",
  },
  retentionSweepMs: {
    type: "number",
    valueName: "ms",
    description: "testing: retention sweep interval (default 600000)",
  },
  schedulePollMs: {
    type: "number",
    valueName: "ms",
    description: "testing: how often due scheduled messages are looked for (default 1000)",
  },
  scheduleClockOffsetMs: {
    type: "number",
    valueName: "ms",
    description: "testing: shifts the clock scheduled messages fire by (default 0)",
  },
  presenceTickMs: {
    type: "number",
    valueName: "ms",
    description: "how often coalesced presence events go out (default 250)",
  },
  heartbeatMs: {
    type: "number",
    valueName: "ms",
    description: "testing: ping and presence-row refresh interval (default 30000)",
  },
  presenceExpiryMs: {
    type: "number",
    valueName: "ms",
    description: "testing: a cluster node's presence with no refresh this long is gone (default 165000)",
  },
});
