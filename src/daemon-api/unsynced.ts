/** The one wording for a mesh whose waiting messages may be missing from an inbox read (CLI and MCP). */
import type { UnsyncedMesh } from "./contract.js";

export function describeUnsynced(u: UnsyncedMesh): string {
  if (u.state === "connected") {
    return `mesh ${u.mesh}: its broker is still sending messages that waited; read the inbox again shortly`;
  }
  const why = u.last_error === null ? "" : ` (${u.last_error})`;
  return `mesh ${u.mesh}: the broker is unreachable${why}; messages waiting there arrive once it reconnects`;
}
