/** `install` / `uninstall`: register claudemesh with Claude Code (implementations in handlers/install.ts). */
import { defineVerb } from "../command.js";
import { INSTALL_FLAGS, UNINSTALL_FLAGS } from "../flags/install.js";

const installVerb = defineVerb({
  path: ["install"],
  section: "Claude Code integration",
  summary: "Register claudemesh with Claude Code: MCP server, hooks, permission, skill, daemon service",
  description:
    "Edits ~/.claude.json (mcpServers.claudemesh, absolute paths) and ~/.claude/settings.json (hooks and the\n" +
    "Bash(claudemesh:*) permission), keeping everything else; idempotent; `claudemesh uninstall` undoes it.\n" +
    "A ~/.claude/skills/claudemesh/SKILL.md that claudemesh did not write (or one edited since) is kept and\n" +
    "reported; --force replaces it.",
  flags: INSTALL_FLAGS,
  examples: ["claudemesh install", "claudemesh install --no-service", "claudemesh install --json"],
  handler: async (ctx) => (await import("../handlers/install.js")).install(ctx),
});

const uninstallVerb = defineVerb({
  path: ["uninstall"],
  section: "Claude Code integration",
  summary: "Remove exactly what `claudemesh install` added",
  description:
    "Leaves a skill file that claudemesh did not write, or one edited since it was installed, and says so.",
  flags: UNINSTALL_FLAGS,
  examples: ["claudemesh uninstall"],
  handler: async (ctx) => (await import("../handlers/install.js")).uninstall(ctx),
});

export const INSTALL_VERBS = [installVerb, uninstallVerb];
