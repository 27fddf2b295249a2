/** Owner/admin moderation over the member's control-plane connection (protocol.md §2.9). */
import { z } from "zod";
import type { MeshRuntime } from "../../meshes/mesh-runtime.js";
import { ok, parseInput, type RouteContext, type RouteTable } from "../app.js";
import { brokerFailure } from "../errors.js";

const TargetBody = z.object({
  target: z.string().min(1).max(128),
  reason: z.string().max(512).optional(),
  mesh: z.string().min(1).optional(),
});

function moderate(act: (mesh: MeshRuntime, input: z.infer<typeof TargetBody>) => Promise<unknown>) {
  return async ({ daemon, caller, body }: RouteContext) => {
    const input = parseInput(TargetBody, body);
    const mesh = daemon.meshFor(input.mesh, caller.session);
    mesh.assertUsable();
    try {
      const result = await act(mesh, input);
      return ok({ ok: true, mesh: mesh.slug, ...(result as Record<string, unknown>) });
    } catch (error) {
      throw brokerFailure(error, mesh.slug);
    } finally {
      mesh.invalidate();
    }
  };
}

export const moderationRoutes: RouteTable = [
  [
    "POST",
    "/v1/moderation/kick",
    moderate(async (mesh, input) => {
      const ack = await mesh.control.kick({ target: input.target });
      return {
        kicked: ack.kicked,
        affected: ack.affected,
        skipped_control_plane: ack.skipped_control_plane ?? [],
      };
    }),
  ],
  [
    "POST",
    "/v1/moderation/ban",
    moderate(async (mesh, input) => ({
      banned: (await mesh.control.ban(input.target, input.reason)).banned,
    })),
  ],
  [
    "POST",
    "/v1/moderation/unban",
    moderate(async (mesh, input) => ({ unbanned: (await mesh.control.unban(input.target)).unbanned })),
  ],
];
