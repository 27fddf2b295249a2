import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { randomHexToken, sha256Hex } from "../crypto/index.js";
import { writeSecretFile } from "../host/secure-fs.js";
import type { LifecycleStore } from "./store/port/index.js";

export interface AdminToken {
  /** The token, when this node knows it: it made it, or its data dir holds it. */
  token: string | null;
  /** True when this start made the token (it is shown once). */
  created: boolean;
  /** Lower-case hex SHA-256 of the token: what admin requests are checked against, on every node. */
  hash: string;
  /** Set when the data dir holds a token the database does not accept. */
  warning?: string;
}

/**
 * The broker admin token. The database holds its hash, so every node of a cluster accepts the same
 * token; the node that makes it (the first to start) stores it 0600 as `<data dir>/admin-token` and
 * shows it once. A data dir from before the database held the hash hands its token over.
 */
export async function adoptAdminToken(dataDir: string, store: LifecycleStore): Promise<AdminToken> {
  const path = join(dataDir, "admin-token");
  const local = existsSync(path) ? readFileSync(path, "utf8").trim() : null;
  const candidate = local ?? randomHexToken(32);
  const hash = await store.adoptAdminTokenHash(sha256Hex(candidate));
  if (hash === sha256Hex(candidate)) {
    if (local === null) writeSecretFile(path, `${candidate}\n`);
    return { token: candidate, created: local === null, hash };
  }
  if (local === null) return { token: null, created: false, hash };
  return {
    token: null,
    created: false,
    hash,
    warning:
      `${path} holds a token this database does not accept: admin requests need the token the ` +
      "database was first given (shown by the node that started first)",
  };
}

/** A stable id for this node's data dir, so a restart cleans up the presences it held before. */
export function loadOrCreateNodeId(dataDir: string): string {
  const path = join(dataDir, "node-id");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const id = `node-${randomHexToken(8)}`;
  writeSecretFile(path, `${id}\n`);
  return id;
}
