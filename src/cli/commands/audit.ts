/** The audit log: `audit log|verify` (implementations in handlers/audit.ts). */
import { defineVerb } from "../command.js";
import { AUDIT_LOG_FLAGS } from "../flags/audit.js";

const log = defineVerb({
  path: ["audit", "log"],
  section: "Shared mesh features",
  summary: "Owner/admin: the mesh's hash-chained audit log, newest first (metadata only)",
  description:
    "Who joined, was invited, kicked, banned or left; tasks created, claimed and completed; leases\n" +
    "acquired, released and expired. Never message bodies, values or keys. A plain member → exit 3, forbidden.",
  flags: AUDIT_LOG_FLAGS,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh audit log", "claudemesh audit log --limit 20 --json"],
  handler: async (ctx) => (await import("../handlers/audit.js")).auditLog(ctx),
});

const verify = defineVerb({
  path: ["audit", "verify"],
  section: "Shared mesh features",
  summary: "Owner/admin: recompute the audit log's hash chain and report whether it is intact",
  description:
    "Exit 1 when an entry was changed or removed, naming the first broken seq. The newest entries cut off " +
    "are caught against the head the daemon saw at its last verify.",
  mesh: true,
  coldPath: true,
  examples: ["claudemesh audit verify", "claudemesh audit verify --json"],
  handler: async (ctx) => (await import("../handlers/audit.js")).auditVerify(ctx),
});

export const AUDIT_VERBS = [log, verify];
