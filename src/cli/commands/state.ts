/** Shared state and contexts: `state get|set|list|watch`, `context share|get|list` (handlers/state.ts). */
import { defineVerb } from "../command.js";
import { CONTEXT_SHARE_FLAGS, STATE_SET_FLAGS } from "../flags/state.js";

const stateSet = defineVerb({
  path: ["state", "set"],
  section: "Shared mesh features",
  summary: "Set a shared key (last write wins); every other peer gets a state_change",
  description:
    'The value is stored as JSON when it parses as JSON (42, true, {"a":1}, "text"), else as a string;\n' +
    "--string always stores a string. Values are encrypted before they leave this machine; the limit is\n" +
    "32,768 bytes once encrypted (about 24 KB of JSON text).",
  args: [
    { name: "key", description: "the key (1-256 characters)" },
    { name: "value", description: "the value, or - to read it from stdin" },
  ],
  flags: STATE_SET_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    "claudemesh state set deploy-freeze true",
    'claudemesh state set release \'{"version":"1.4.2","by":"alice"}\'',
    "claudemesh state set notes - --string < notes.txt",
  ],
  handler: async (ctx) => (await import("../handlers/state.js")).stateSet(ctx),
});

const stateGet = defineVerb({
  path: ["state", "get"],
  section: "Shared mesh features",
  summary: "One shared value (a missing key is null, exit 0)",
  args: [{ name: "key", description: "the key" }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh state get deploy-freeze", "claudemesh state get release --json"],
  handler: async (ctx) => (await import("../handlers/state.js")).stateGet(ctx),
});

const stateList = defineVerb({
  path: ["state", "list"],
  section: "Shared mesh features",
  summary: "Every shared key with its value, writer and time",
  mesh: true,
  coldPath: true,
  examples: ["claudemesh state list", "claudemesh state list --json"],
  handler: async (ctx) => (await import("../handlers/state.js")).stateList(ctx),
});

const stateWatch = defineVerb({
  path: ["state", "watch"],
  section: "Shared mesh features",
  summary: "Stream changes of every key, or of one, until Ctrl-C",
  description:
    "Shared contexts show up as keys named _context:<peer>. With --json: one JSON object per line.",
  args: [{ name: "key", description: "only this key", required: false }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh state watch", "claudemesh state watch deploy-freeze --json"],
  handler: async (ctx) => (await import("../handlers/state.js")).stateWatch(ctx),
});

const contextShare = defineVerb({
  path: ["context", "share"],
  section: "Shared mesh features",
  summary: "Share what you are working on (replaces your previous context)",
  description:
    "Summary, files and findings are encrypted before they leave this machine; tags are not, so other\n" +
    "clients can find your context by tag.",
  args: [{ name: "summary", description: "what you are working on, or - to read it from stdin" }],
  flags: CONTEXT_SHARE_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    'claudemesh context share "refactoring the auth middleware" --files src/auth.ts --tags auth',
    'claudemesh context share "db migration" --findings "locks users table;needs downtime"',
  ],
  handler: async (ctx) => (await import("../handlers/state.js")).contextShare(ctx),
});

const contextGet = defineVerb({
  path: ["context", "get"],
  section: "Shared mesh features",
  summary: "Contexts whose summary contains the query (any case) or with that tag; at most 20",
  args: [{ name: "query", description: "words to find in summaries, or a tag" }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh context get auth", "claudemesh context get migration --json"],
  handler: async (ctx) => (await import("../handlers/state.js")).contextGet(ctx),
});

const contextList = defineVerb({
  path: ["context", "list"],
  section: "Shared mesh features",
  summary: "What each peer is working on, newest first",
  mesh: true,
  coldPath: true,
  examples: ["claudemesh context list", "claudemesh context list --json"],
  handler: async (ctx) => (await import("../handlers/state.js")).contextList(ctx),
});

export const STATE_VERBS = [stateSet, stateGet, stateList, stateWatch, contextShare, contextGet, contextList];
