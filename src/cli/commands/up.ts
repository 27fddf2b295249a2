/**
 * `claudemesh up`: one command to a working local mesh — the embedded broker, a mesh named `local` when
 * the user has none, the daemon, an invite link, then a live view until Ctrl-C. Running it again reuses
 * everything that exists.
 */
import { DEFAULT_BROKER_PORT } from "../../protocol/constants.js";
import { defineFlags, defineVerb } from "../command.js";

export const UP_FLAGS = defineFlags({
  port: {
    type: "number",
    valueName: "port",
    description: `broker port (default: your local mesh's, else ${DEFAULT_BROKER_PORT})`,
  },
  detach: { type: "boolean", description: "return once everything runs (implied by --json)" },
  name: {
    type: "string",
    valueName: "display name",
    description: "your display name when the mesh is created",
  },
});

export const upVerb = defineVerb({
  path: ["up"],
  section: "Getting started",
  summary: "One command to a working local mesh: broker, mesh, daemon, invite link, live view",
  description:
    "Starts an embedded broker on 127.0.0.1 (SQLite under ~/.claudemesh/broker/), creates a mesh named\n" +
    "`local` if you have none and joins it as owner, starts the daemon, prints an invite link for a second\n" +
    "user or machine, then shows live activity until Ctrl-C. Running it again reuses what exists.",
  flags: UP_FLAGS,
  examples: ["claudemesh up", "claudemesh up --port 7901 --detach"],
  handler: async (ctx) => (await import("../handlers/up.js")).up(ctx),
});
