/** Flags of the `mesh` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { DEFAULT_BROKER_PORT } from "../../protocol/constants.js";
import { defineFlags } from "../command.js";

export const DEFAULT_BROKER_URL = `ws://127.0.0.1:${DEFAULT_BROKER_PORT}/ws`;

export const MESH_CREATE_FLAGS = defineFlags({
  broker: {
    type: "list",
    valueName: "url",
    description:
      "broker WebSocket URL; repeat it (or give a comma list) for each node of a broker cluster, primary" +
      ` first (default: CLAUDEMESH_BROKER_URL, a URL or comma list, or ${DEFAULT_BROKER_URL})`,
  },
  adminToken: { type: "string", valueName: "token", description: "the broker's admin token" },
  name: { type: "string", valueName: "display name", description: "your display name in this mesh" },
});

export const LEAVE_FLAGS = defineFlags({
  yes: { type: "boolean", short: "y", description: "do not ask for confirmation" },
  force: { type: "boolean", description: "remove the local keys even if the broker cannot be told" },
});
