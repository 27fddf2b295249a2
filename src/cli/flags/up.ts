/** Flags of the `up` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { DEFAULT_BROKER_PORT } from "../../protocol/constants.js";
import { defineFlags } from "../command.js";

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
