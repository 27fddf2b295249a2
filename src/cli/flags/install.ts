/** Flags of the `install` verbs: read by their definitions (commands/) and their handlers (handlers/). */
import { defineFlags } from "../command.js";

const SERVICE = {
  type: "boolean",
  default: true,
  description: "leave out the daemon service (systemd --user, launchd)",
} as const;

export const INSTALL_FLAGS = defineFlags({
  hooks: {
    type: "boolean",
    default: true,
    description: "leave out the delivery-lane hooks in ~/.claude/settings.json",
  },
  skill: {
    type: "boolean",
    default: true,
    description: "leave out the skill (~/.claude/skills/claudemesh/SKILL.md)",
  },
  force: {
    type: "boolean",
    description: "replace a skill file claudemesh did not write, or one edited since (default: keep it)",
  },
  service: SERVICE,
});

export const UNINSTALL_FLAGS = defineFlags({
  service: { ...SERVICE, description: "leave the daemon service alone" },
});
