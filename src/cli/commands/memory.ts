/** Shared memory: `remember`, `recall`, `forget` (implementations in handlers/memory.ts). */
import { defineVerb } from "../command.js";
import { REMEMBER_FLAGS } from "../flags/memory.js";

const remember = defineVerb({
  path: ["remember"],
  section: "Shared mesh features",
  summary: "Store a memory the whole mesh can recall (encrypted; found by its words)",
  description:
    "The text is encrypted with the mesh key before it leaves this machine; the broker gets blind search\n" +
    "tokens of its words, never the words. Tags are stored as plaintext metadata.",
  args: [{ name: "text", description: "the memory, or - to read it from stdin" }],
  flags: REMEMBER_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    'claudemesh remember "the staging database is on port 5433" --tags db,staging',
    "git log -1 --format=%B | claudemesh remember -",
  ],
  handler: async (ctx) => (await import("../handlers/memory.js")).remember(ctx),
});

const recall = defineVerb({
  path: ["recall"],
  section: "Shared mesh features",
  summary: "Search the mesh's memories: every query word must match; newest first, at most 20",
  args: [{ name: "query", description: "words to look for", variadic: true }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh recall staging database", "claudemesh recall deploy --json"],
  handler: async (ctx) => (await import("../handlers/memory.js")).recall(ctx),
});

const forget = defineVerb({
  path: ["forget"],
  section: "Shared mesh features",
  summary: "Remove a memory from recall",
  args: [{ name: "id", description: "the memory id (`recall` shows it)" }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh forget 3f2c9a1e-…", "claudemesh forget 3f2c9a1e-… --json"],
  handler: async (ctx) => (await import("../handlers/memory.js")).forget(ctx),
});

export const MEMORY_VERBS = [remember, recall, forget];
