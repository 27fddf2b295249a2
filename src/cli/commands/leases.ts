/** Leases: `lease acquire|renew|release|list|check` (implementations in handlers/leases.ts). */
import { defineVerb } from "../command.js";
import { LEASE_ACQUIRE_FLAGS, LEASE_RENEW_FLAGS } from "../flags/leases.js";

const RESOURCE_HELP =
  "A path (file, directory or glob, relative to here) becomes <repo>:<path>, where <repo> is the git\n" +
  "origin (github.com/acme/api) or the repository's directory name, so it names the same thing on every\n" +
  "machine; branch:<name> leases a branch.";

const acquire = defineVerb({
  path: ["lease", "acquire"],
  section: "Shared mesh features",
  summary: "Lease a file, directory, glob or branch so no other member edits it meanwhile",
  description: `${RESOURCE_HELP}\nHeld by another member → exit 1, code lease_held, naming the holder and expiry.`,
  args: [{ name: "resource", description: "a path, a glob, or branch:<name>" }],
  flags: LEASE_ACQUIRE_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    "claudemesh lease acquire src/db/ --ttl 45m --reason 'schema migration'",
    "claudemesh lease acquire branch:main --ttl 10m",
  ],
  handler: async (ctx) => (await import("../handlers/leases.js")).leaseAcquire(ctx),
});

const renew = defineVerb({
  path: ["lease", "renew"],
  section: "Shared mesh features",
  summary: "Extend a lease you hold (from now, by --ttl)",
  args: [{ name: "resource", description: "the path or branch:<name> you leased" }],
  flags: LEASE_RENEW_FLAGS,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh lease renew src/db/ --ttl 1h"],
  handler: async (ctx) => (await import("../handlers/leases.js")).leaseRenew(ctx),
});

const release = defineVerb({
  path: ["lease", "release"],
  section: "Shared mesh features",
  summary: "Release a lease (yours, or any as an admin)",
  args: [{ name: "resource", description: "the path or branch:<name> you leased" }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh lease release src/db/"],
  handler: async (ctx) => (await import("../handlers/leases.js")).leaseRelease(ctx),
});

const list = defineVerb({
  path: ["lease", "list"],
  section: "Shared mesh features",
  summary: "Live leases on the mesh: resource, holder, reason, expiry",
  mesh: true,
  coldPath: true,
  examples: ["claudemesh lease list", "claudemesh lease list --json"],
  handler: async (ctx) => (await import("../handlers/leases.js")).leaseList(ctx),
});

const check = defineVerb({
  path: ["lease", "check"],
  section: "Shared mesh features",
  summary: "Exit 1 when a path falls under another member's lease (a git pre-commit hook)",
  description:
    "As a pre-commit hook (.git/hooks/pre-commit):\n" +
    "  git diff --cached --name-only -z | xargs -0 -r claudemesh lease check",
  args: [{ name: "paths", description: "files or directories", variadic: true }],
  mesh: true,
  coldPath: true,
  examples: [
    "claudemesh lease check src/db/schema.ts",
    "git diff --cached --name-only | xargs claudemesh lease check",
  ],
  handler: async (ctx) => (await import("../handlers/leases.js")).leaseCheck(ctx),
});

export const LEASE_VERBS = [acquire, renew, release, list, check];
