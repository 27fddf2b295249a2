/**
 * The mesh whose broker `claudemesh up` runs: the one `up` created, marked `local_broker` in its config
 * entry. A mesh an older `up` created (before the mark) is recognised by what only such a mesh has — this
 * user owns it, its one broker is on loopback, and the broker's data dir holds it — and marked then. A
 * mesh the user joined is never taken for it, whatever its slug or broker address.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { meshBrokerUrls, updateConfig, type MeshConfig } from "../host/config.js";
import { isLoopbackUrl } from "./services.js";

/** The name `up` gives the mesh it creates (or the first free `local-2`, … when a joined mesh has it). */
export const LOCAL_MESH_NAME = "local";

export function portOf(url: string): number | null {
  try {
    const parsed = new URL(url);
    return parsed.port === "" ? null : Number(parsed.port);
  } catch {
    return null;
  }
}

/** Whether the SQLite database in `dataDir` has the mesh (read only; no database: no). */
async function dataDirHoldsMesh(dataDir: string, meshId: string): Promise<boolean> {
  const file = join(dataDir, "broker.db");
  if (!existsSync(file)) return false;
  const { default: Database } = await import("better-sqlite3");
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT 1 FROM meshes WHERE id = ?").get(meshId) !== undefined;
    } finally {
      db.close();
    }
  } catch {
    // Not a broker database this version reads: it holds no mesh `up` could start a broker for.
    return false;
  }
}

function preferNamedLocal(meshes: readonly MeshConfig[]): MeshConfig | undefined {
  return meshes.find((m) => m.slug === LOCAL_MESH_NAME) ?? meshes[0];
}

/**
 * The user's mesh on the broker `up` runs from `dataDir` (on `port`, when given), or undefined. One that
 * an older `up` created is marked in the config on the way.
 */
export async function ownLocalMesh(
  meshes: readonly MeshConfig[],
  f: { dataDir: string; port?: number | undefined },
): Promise<MeshConfig | undefined> {
  const atPort = (m: MeshConfig): boolean => f.port === undefined || portOf(m.broker_url) === f.port;
  const marked = preferNamedLocal(meshes.filter((m) => m.local_broker === true && atPort(m)));
  if (marked) return marked;
  const candidates = meshes.filter(
    (m) => m.role === "owner" && meshBrokerUrls(m).length === 1 && isLoopbackUrl(m.broker_url) && atPort(m),
  );
  const held: MeshConfig[] = [];
  for (const m of candidates) if (await dataDirHoldsMesh(f.dataDir, m.mesh_id)) held.push(m);
  const older = preferNamedLocal(held);
  if (older === undefined) return undefined;
  updateConfig((config) => {
    for (const m of config.meshes) if (m.mesh_id === older.mesh_id) m.local_broker = true;
  });
  return { ...older, local_broker: true };
}
