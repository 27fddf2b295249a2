/** `claudemesh launch`: a Claude Code session joined to the mesh as its own peer (handlers/launch.ts). */
import { defineVerb } from "../command.js";
import { LAUNCH_FLAGS } from "../flags/launch.js";

export const launchVerb = defineVerb({
  path: ["launch"],
  section: "Claude Code integration",
  summary: "Start a Claude Code session joined to the mesh as its own peer",
  description:
    "Everything after `--` goes to claude (e.g. `-- --resume <id>`, `-- --continue`, `-- --model opus`).\n" +
    "The executable is `claude` on PATH, or CLAUDEMESH_CLAUDE_BIN.",
  mesh: true,
  passthrough: true,
  handlesSignals: true,
  flags: LAUNCH_FLAGS,
  examples: [
    "claudemesh launch",
    "claudemesh launch --name reviewer --groups backend -- --model opus",
    "claudemesh launch -- --continue",
  ],
  handler: async (ctx) => (await import("../handlers/launch.js")).launch(ctx),
});
