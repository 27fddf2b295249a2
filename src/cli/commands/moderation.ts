/**
 * Roster and moderation: `members`, `kick`, `ban`, `unban` (owner/admin only: the broker enforces it, the
 * CLI checks first for a clear error). Through the daemon's member connection, or `--no-daemon`.
 * Implementations in handlers/moderation.ts.
 */
import { defineVerb } from "../command.js";
import { BAN_FLAGS } from "../flags/moderation.js";

const members = defineVerb({
  path: ["members"],
  section: "Meshes and membership",
  summary: "The mesh roster: every member, online or not, with roles",
  mesh: true,
  coldPath: true,
  examples: ["claudemesh members", "claudemesh members --json"],
  handler: async (ctx) => (await import("../handlers/moderation.js")).members(ctx),
});

const PEER_ARG = [{ name: "peer", description: "display name, member key or key prefix" }] as const;

const kick = defineVerb({
  path: ["kick"],
  section: "Meshes and membership",
  summary: "Close a peer's session connections (it may reconnect); owner/admin only",
  description: "A member's daemon connection is never kicked; use ban to remove a member.",
  args: PEER_ARG,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh kick bob"],
  handler: async (ctx) => (await import("../handlers/moderation.js")).kick(ctx),
});

const ban = defineVerb({
  path: ["ban"],
  section: "Meshes and membership",
  summary: "Revoke a member and close all its connections; owner/admin only",
  args: PEER_ARG,
  flags: BAN_FLAGS,
  mesh: true,
  coldPath: true,
  examples: ['claudemesh ban bob --reason "left the team"'],
  handler: async (ctx) => (await import("../handlers/moderation.js")).ban(ctx),
});

const unban = defineVerb({
  path: ["unban"],
  section: "Meshes and membership",
  summary: "Lift a ban (the member can then be invited again); owner/admin only",
  args: PEER_ARG,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh unban bob"],
  handler: async (ctx) => (await import("../handlers/moderation.js")).unban(ctx),
});

export const MODERATION_VERBS = [members, kick, ban, unban];
