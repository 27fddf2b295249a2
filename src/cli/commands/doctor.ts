/** `claudemesh doctor`: checks the setup end to end (handlers/doctor.ts). */
import { defineVerb } from "../command.js";

export const doctorVerb = defineVerb({
  path: ["doctor"],
  section: "The daemon",
  summary: "Check config, key permissions, daemon, brokers and clock skew, Claude Code registration",
  examples: ["claudemesh doctor", "claudemesh doctor --json"],
  handler: async (ctx) => (await import("../handlers/doctor.js")).doctor(ctx),
});
