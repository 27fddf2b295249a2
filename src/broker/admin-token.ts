import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { randomHexToken } from "../crypto/index.js";
import { writeSecretFile } from "../host/secure-fs.js";

/** The broker admin token: made on first start, stored 0600 as `<data dir>/admin-token`. */
export function loadOrCreateAdminToken(dataDir: string): { token: string; created: boolean } {
  const path = join(dataDir, "admin-token");
  if (existsSync(path)) return { token: readFileSync(path, "utf8").trim(), created: false };
  const token = randomHexToken(32);
  writeSecretFile(path, `${token}\n`);
  return { token, created: true };
}

/** A stable id for this node's data dir, so a restart cleans up the presences it held before. */
export function loadOrCreateNodeId(dataDir: string): string {
  const path = join(dataDir, "node-id");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const id = `node-${randomHexToken(8)}`;
  writeSecretFile(path, `${id}\n`);
  return id;
}
