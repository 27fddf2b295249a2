/** Mesh-shared skills: `skill share|get|list|remove` (implementations in handlers/skills.ts). */
import { defineVerb } from "../command.js";
import { SKILL_SHARE_FLAGS } from "../flags/skills.js";

const NAME = {
  name: "name",
  description: "the skill's name: letters, digits, '.', '_' or '-' (up to 64)",
};

const share = defineVerb({
  path: ["skill", "share"],
  section: "Shared mesh features",
  summary: "Share a skill (a SKILL.md) with the mesh; replaces one of the same name",
  description:
    "The instructions are encrypted with the mesh key before they leave this machine; name, description\n" +
    "and tags are plaintext metadata. Claude Code sessions on the mesh get it as the prompt /<name> and\n" +
    "the resource skill://claudemesh/<name>.",
  args: [NAME],
  flags: SKILL_SHARE_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    "claudemesh skill share review --file .claude/skills/review/SKILL.md",
    'claudemesh skill share deploy --file deploy.md --description "Ship to staging" --tags ops,ci',
  ],
  handler: async (ctx) => (await import("../handlers/skills.js")).share(ctx),
});

const get = defineVerb({
  path: ["skill", "get"],
  section: "Shared mesh features",
  summary: "Show one skill with its instructions",
  args: [NAME],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh skill get review", "claudemesh skill get review --json"],
  handler: async (ctx) => (await import("../handlers/skills.js")).get(ctx),
});

const list = defineVerb({
  path: ["skill", "list"],
  section: "Shared mesh features",
  summary: "The mesh's skills, optionally those whose name, description or tags contain <query>",
  args: [{ name: "query", description: "text to look for (case-insensitive)", required: false }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh skill list", "claudemesh skill list deploy --json"],
  handler: async (ctx) => (await import("../handlers/skills.js")).list(ctx),
});

const remove = defineVerb({
  path: ["skill", "remove"],
  section: "Shared mesh features",
  summary: "Remove a skill from the mesh",
  args: [NAME],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh skill remove review"],
  handler: async (ctx) => (await import("../handlers/skills.js")).remove(ctx),
});

export const SKILL_VERBS = [share, get, list, remove];
