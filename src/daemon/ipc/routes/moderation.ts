/** Owner/admin moderation on the member's control-plane connection: kick, ban, unban (protocol.md §2.9). */
import type { EndpointOutput } from "../../../daemon-api/endpoints.js";
import type { ValidInput } from "../../../daemon-api/schemas.js";
import type { MeshRuntime } from "../../meshes/mesh-runtime.js";
import type { Implementations, RouteContext } from "../app.js";
import { brokerFailure } from "../errors.js";

type Verb = "kick" | "ban" | "unban";

/** Runs `act` on the mesh's control connection; the answer names the mesh. */
function moderate<K extends Verb>(
  act: (mesh: MeshRuntime, input: ValidInput<K>) => Promise<Omit<EndpointOutput<K>, "ok" | "mesh">>,
) {
  return async ({ daemon, caller }: RouteContext, input: ValidInput<K>) => {
    const mesh = daemon.meshFor(input.mesh, caller.session);
    mesh.assertUsable();
    try {
      return { ok: true, mesh: mesh.slug, ...(await act(mesh, input)) };
    } catch (error) {
      throw brokerFailure(error, mesh.slug);
    } finally {
      mesh.invalidate();
    }
  };
}

export const moderationRoutes = {
  kick: moderate<"kick">(async (mesh, input) => {
    const ack = await mesh.control.kick({ target: input.target });
    return {
      kicked: ack.kicked,
      affected: ack.affected,
      skipped_control_plane: ack.skipped_control_plane ?? [],
    };
  }),
  ban: moderate<"ban">(async (mesh, input) => ({
    banned: (await mesh.control.ban(input.target, input.reason)).banned,
  })),
  unban: moderate<"unban">(async (mesh, input) => ({
    unbanned: (await mesh.control.unban(input.target)).unbanned,
  })),
} satisfies Partial<Implementations>;
