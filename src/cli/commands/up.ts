/**
 * `claudemesh up`: one command to a working local mesh — the embedded broker, a mesh named `local` when
 * the user has none, the daemon, an invite link, then a live view until Ctrl-C. Running it again reuses
 * everything that exists.
 */
import { defineVerb } from "../command.js";
import { UP_FLAGS } from "../flags/up.js";

export const upVerb = defineVerb({
  path: ["up"],
  section: "Getting started",
  summary: "One command to a working local mesh: broker, mesh, daemon, invite link, live view",
  description:
    "Starts an embedded broker on 127.0.0.1 (SQLite under ~/.claudemesh/broker/), creates a mesh named\n" +
    "`local` if you have none and joins it as owner, starts the daemon, prints an invite link for a second\n" +
    "user or machine, then shows live activity until Ctrl-C. Running it again reuses what exists.\n" +
    "It runs the broker of the mesh it created only: beside a mesh you joined called `local`, it creates\n" +
    "its own as `local-2`. The broker's admin token stays in ~/.claudemesh/broker/admin-token (0600), never\n" +
    "in broker.log.",
  flags: UP_FLAGS,
  examples: ["claudemesh up", "claudemesh up --port 7901 --detach"],
  handler: async (ctx) => (await import("../handlers/up.js")).up(ctx),
});
