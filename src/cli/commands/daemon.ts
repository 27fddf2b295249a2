/** The daemon: `daemon up|down|status|logs`, `daemon outbox`, `daemon outbox requeue` (handlers/daemon.ts). */
import { defineVerb } from "../command.js";
import { DAEMON_UP_FLAGS, LOGS_FLAGS, OUTBOX_FLAGS } from "../flags/daemon.js";

const up = defineVerb({
  path: ["daemon", "up"],
  section: "The daemon",
  summary: "Start the daemon (detached; a second `up` is a no-op that says so)",
  description: "Logs go to <daemon dir>/daemon.log. --foreground runs it in this terminal until Ctrl-C.",
  flags: DAEMON_UP_FLAGS,
  handlesSignals: true,
  examples: ["claudemesh daemon up", "claudemesh daemon up --foreground"],
  handler: async (ctx) => (await import("../handlers/daemon.js")).daemonUp(ctx),
});

const down = defineVerb({
  path: ["daemon", "down"],
  section: "The daemon",
  summary: "Stop the daemon (its outbox is kept and drained on the next start)",
  examples: ["claudemesh daemon down"],
  handler: async (ctx) => (await import("../handlers/daemon.js")).daemonDown(ctx),
});

const status = defineVerb({
  path: ["daemon", "status"],
  section: "The daemon",
  summary: "Whether the daemon runs, its pid, version, socket, mesh connections and sessions",
  examples: ["claudemesh daemon status --json"],
  handler: async (ctx) => (await import("../handlers/daemon.js")).daemonStatus(ctx),
});

const logs = defineVerb({
  path: ["daemon", "logs"],
  section: "The daemon",
  summary: "Show the daemon log (JSON lines); -f keeps following it",
  flags: LOGS_FLAGS,
  examples: ["claudemesh daemon logs -n 200", "claudemesh daemon logs -f"],
  handler: async (ctx) => (await import("../handlers/daemon.js")).daemonLogs(ctx),
});

const outbox = defineVerb({
  path: ["daemon", "outbox"],
  section: "The daemon",
  summary: "Inspect sends: --pending (waiting or in flight), --dead (gave up), --done",
  flags: OUTBOX_FLAGS,
  mesh: true,
  meshOptional: true,
  examples: ["claudemesh daemon outbox --dead", "claudemesh daemon outbox requeue <id>"],
  handler: async (ctx) => (await import("../handlers/daemon.js")).outbox(ctx),
});

const requeue = defineVerb({
  path: ["daemon", "outbox", "requeue"],
  section: "The daemon",
  summary: "Send a dead outbox entry again",
  args: [{ name: "id", description: "the outbox id (as `daemon outbox` shows it)" }],
  examples: ["claudemesh daemon outbox requeue cm-3k2j…"],
  handler: async (ctx) => (await import("../handlers/daemon.js")).requeue(ctx),
});

export const DAEMON_VERBS = [up, down, status, logs, outbox, requeue];
