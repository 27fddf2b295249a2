/** Meshes: `mesh create`, `list`, `leave`, `whoami` (implementations in handlers/mesh.ts). */
import { defineVerb } from "../command.js";
import { MESH_CREATE_FLAGS, LEAVE_FLAGS } from "../flags/mesh.js";

const meshCreate = defineVerb({
  path: ["mesh", "create"],
  section: "Meshes and membership",
  summary: "Create a mesh on a broker; you join it as its owner",
  description:
    "The owner key pair and the mesh root key are made here and stay here; the broker gets only public\n" +
    "keys. Needs the broker's admin token: --admin-token, CLAUDEMESH_ADMIN_TOKEN, or (for a broker on this\n" +
    "machine) its data dir's admin-token file. For several broker nodes on one database, give every node's\n" +
    "URL: clients move to the next one when a connection drops, and invite links carry them all.",
  args: [{ name: "name", description: "the mesh name (1–64 characters, no |)" }],
  flags: MESH_CREATE_FLAGS,
  examples: [
    "claudemesh mesh create team",
    "claudemesh mesh create team --broker wss://mesh.example.com/ws --admin-token T",
    "claudemesh mesh create team --broker wss://a.example.com/ws --broker wss://b.example.com/ws",
  ],
  handler: async (ctx) => (await import("../handlers/mesh.js")).meshCreate(ctx),
});

const meshBrokers = defineVerb({
  path: ["mesh", "brokers"],
  section: "Meshes and membership",
  summary: "Show, or set on this machine, the broker node URLs of a mesh",
  description:
    "Without URLs, prints the mesh's broker URLs (the primary first). With URLs, replaces the list in this\n" +
    "machine's config (the first becomes the primary) and reconnects the daemon: for a broker that gained or\n" +
    "lost nodes. Every member sets it on their own machine; invites made afterwards carry the new list.",
  args: [
    { name: "urls", description: "ws:// or wss:// URLs, one per node", required: false, variadic: true },
  ],
  mesh: true,
  examples: [
    "claudemesh mesh brokers",
    "claudemesh mesh brokers wss://a.example.com/ws wss://b.example.com/ws --mesh team",
  ],
  handler: async (ctx) => (await import("../handlers/mesh.js")).meshBrokers(ctx),
});

const list = defineVerb({
  path: ["list"],
  section: "Meshes and membership",
  summary: "Joined meshes: slug, name, broker, role, whether the daemon is connected",
  examples: ["claudemesh list", "claudemesh list --json"],
  handler: async (ctx) => (await import("../handlers/mesh.js")).list(ctx),
});

const leave = defineVerb({
  path: ["leave"],
  section: "Meshes and membership",
  summary: "Leave a mesh: revokes your membership on the broker, then removes the local keys",
  args: [{ name: "mesh", description: "the mesh slug or id" }],
  flags: LEAVE_FLAGS,
  examples: ["claudemesh leave team -y"],
  handler: async (ctx) => (await import("../handlers/mesh.js")).leave(ctx),
});

const whoami = defineVerb({
  path: ["whoami"],
  section: "Meshes and membership",
  summary: "Your member identity in each mesh and, inside a launched session, the session identity",
  examples: ["claudemesh whoami", "claudemesh whoami --json"],
  handler: async (ctx) => (await import("../handlers/mesh.js")).whoami(ctx),
});

export const MESH_VERBS = [meshCreate, meshBrokers, list, leave, whoami];
