/** `info`: the mesh at a glance (implementation in handlers/info.ts). */
import { defineVerb } from "../command.js";

export const infoVerb = defineVerb({
  path: ["info"],
  section: "Shared mesh features",
  summary: "The mesh at a glance: peers, groups, state keys, memories, files, tasks, and you",
  mesh: true,
  coldPath: true,
  examples: ["claudemesh info", "claudemesh info --json"],
  handler: async (ctx) => (await import("../handlers/info.js")).info(ctx),
});
