/**
 * Whether the inbox reflects what the broker holds for the member: a read made right after the daemon
 * started, a mesh was joined or a connection came back waits (bounded) until each connection coming up has
 * stored what waited for it (`backlog_sent`, protocol.md §4.6), and names the meshes it cannot vouch for.
 */
import type { UnsyncedMesh } from "../../daemon-api/contract.js";
import type { MeshRuntime } from "../meshes/mesh-runtime.js";

/** How long an inbox read with `sync` waits for connections coming up, unless the daemon is told otherwise. */
export const INBOX_SYNC_WAIT_MS = 5_000;

/**
 * The meshes among `meshes` whose waiting messages may be missing from the inbox; with `waitMs`, after
 * waiting up to that long for the ones that are connecting or receiving.
 */
export async function unsyncedMeshes(
  meshes: readonly MeshRuntime[],
  waitMs: number | null,
): Promise<UnsyncedMesh[]> {
  const live = meshes.filter((m) => !m.disabled);
  if (waitMs !== null) await Promise.all(live.map((m) => m.untilReceived(waitMs)));
  return live
    .filter((m) => m.state !== "connected" || m.receiving)
    .map((m) => ({ mesh: m.slug, state: m.state, last_error: m.lastError }));
}
