/** Who is there: live peers (`list_peers`), the roster (`list_members`), and the caller's own groups. */
import { memberView, peerView } from "../../../daemon-api/views.js";
import type { MeshRuntime } from "../../meshes/mesh-runtime.js";
import type { Implementations } from "../app.js";
import { LocalError } from "../errors.js";

/**
 * Runs `fetch` on each mesh. With one mesh its failure is the answer; across several, unreachable meshes
 * are skipped unless all are.
 */
export async function acrossMeshes<T>(
  meshes: MeshRuntime[],
  fetch: (mesh: MeshRuntime) => Promise<T[]>,
): Promise<T[]> {
  if (meshes.length === 1 && meshes[0] !== undefined) {
    meshes[0].assertUsable();
    return fetch(meshes[0]);
  }
  const results = await Promise.allSettled(meshes.map(fetch));
  const out: T[] = [];
  let failure: unknown = null;
  for (const result of results) {
    if (result.status === "fulfilled") out.push(...result.value);
    else failure = result.reason;
  }
  if (failure !== null && out.length === 0 && results.every((r) => r.status === "rejected")) throw failure;
  return out;
}

export const peerRoutes = {
  peers: async ({ daemon, caller }, input) => {
    const meshes = daemon.meshesFor(input.mesh, caller.session);
    const peers = await acrossMeshes(meshes, async (mesh) =>
      (await mesh.peers())
        .filter((p) => input.all === true || p.peerRole !== "control-plane")
        .map((p) =>
          peerView(mesh.slug, p, {
            memberPubkey: mesh.config.pubkey,
            sessionPubkey: caller.session?.pubkey ?? null,
          }),
        ),
    );
    return { peers };
  },
  members: async ({ daemon, caller }, input) => {
    const meshes = daemon.meshesFor(input.mesh, caller.session);
    const members = await acrossMeshes(meshes, async (mesh) =>
      (await mesh.members()).map((m) => memberView(mesh.slug, m)),
    );
    return { members };
  },
  groups: async ({ daemon, caller }, input) => {
    const meshes = daemon.meshesFor(input.mesh, caller.session);
    const groups = await acrossMeshes(meshes, async (mesh) => {
      const own = (await mesh.peers()).find((p) =>
        caller.session !== null && caller.session.mesh_id === mesh.meshId
          ? p.peerRole === "session" && p.pubkey === caller.session.pubkey
          : p.peerRole === "control-plane" &&
            p.memberPubkey === mesh.config.pubkey &&
            p.sessionId === `daemon-${process.pid}`,
      );
      if (own === undefined && meshes.length === 1) {
        throw new LocalError(
          "not_present",
          `not connected to mesh "${mesh.slug}" yet`,
          "try again in a moment",
        );
      }
      return (own?.groups ?? []).map((g) => ({ mesh: mesh.slug, name: g.name, role: g.role ?? null }));
    });
    return { groups };
  },
} satisfies Partial<Implementations>;
