/** Talking: `peers`, `send`, `message status` (implementations in handlers/talk.ts; `inbox` in inbox.ts). */
import { defineVerb } from "../command.js";
import { PEERS_FLAGS, SEND_FLAGS } from "../flags/talk.js";

const peers = defineVerb({
  path: ["peers"],
  section: "Talking",
  summary: "Online peers: name, role, groups, status, summary, cwd, short key",
  description: "Daemon (control-plane) presences are hidden unless --all.",
  mesh: true,
  coldPath: true,
  flags: PEERS_FLAGS,
  examples: ["claudemesh peers", "claudemesh peers --all --json"],
  handler: async (ctx) => (await import("../handlers/talk.js")).peers(ctx),
});

const send = defineVerb({
  path: ["send"],
  section: "Talking",
  summary: "Send an end-to-end encrypted message to a peer, @group, * or #topic",
  description:
    "<to> is a display name, a hex key prefix of 4+ chars, a full key, @group, * or #topic. Ambiguous or\n" +
    "unknown targets are refused with the candidates listed.",
  args: [
    { name: "to", description: "display name, key prefix (4+ hex), full key, @group, * or #topic" },
    { name: "message", description: "the text, or - to read it from stdin" },
  ],
  flags: SEND_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    'claudemesh send alice "can you review #42?"',
    "claudemesh send @backend - < notes.md",
    'claudemesh send "*" "deploy in 5 minutes" --priority now',
  ],
  handler: async (ctx) => (await import("../handlers/talk.js")).send(ctx),
});

const messageStatus = defineVerb({
  path: ["message", "status"],
  section: "Talking",
  summary: "Per-recipient delivery state of a sent message",
  args: [{ name: "id", description: "the message id `send` printed (client or broker id)" }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh message status cm-3k2j…", "claudemesh message status Ab12Cd34 --json"],
  handler: async (ctx) => (await import("../handlers/talk.js")).messageStatus(ctx),
});

export const TALK_VERBS = [peers, send, messageStatus];
