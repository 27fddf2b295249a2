/** `info`: the mesh at a glance (`mesh_info`), asked on the caller's own connection (its name, its groups). */
import { meshInfoView } from "../../../daemon-api/views.js";
import type { Implementations } from "../app.js";
import { brokerFailure } from "../errors.js";

export const infoRoutes = {
  info: async ({ daemon, caller }, input) => {
    const mesh = daemon.meshFor(input.mesh, caller.session);
    mesh.assertUsable();
    const session = caller.session;
    const link = session !== null && session.mesh_id === mesh.meshId ? session.link : mesh.control;
    try {
      return meshInfoView(mesh.slug, await link.meshInfo());
    } catch (error) {
      throw brokerFailure(error, mesh.slug);
    }
  },
} satisfies Partial<Implementations>;
