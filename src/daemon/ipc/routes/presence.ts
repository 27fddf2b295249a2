/**
 * Presence writes: status, summary, groups. A session caller writes on its own session connection; others
 * on the member's control-plane connection of the named mesh, or of every usable mesh.
 */
import type { BrokerLink } from "../../links.js";
import type { MeshRuntime } from "../../meshes/mesh-runtime.js";
import type { StatusKeeper } from "../../meshes/wanted-status.js";
import type { Implementations, RouteContext } from "../app.js";
import { brokerFailure } from "../errors.js";

type Target = { mesh: MeshRuntime; link: BrokerLink; status: StatusKeeper };

/** The connections a presence write goes to. */
function presenceLinks(ctx: RouteContext, wanted: string | undefined): Target[] {
  const session = ctx.caller.session;
  const meshes = ctx.daemon.meshesFor(wanted, session);
  return meshes.map((mesh) => {
    mesh.assertUsable();
    if (session !== null && session.mesh_id === mesh.meshId)
      return { mesh, link: session.link, status: session.status };
    return { mesh, link: mesh.control, status: mesh.status };
  });
}

async function onEach(targets: Target[], write: (link: BrokerLink) => Promise<void>): Promise<void> {
  await Promise.all(
    targets.map(async ({ mesh, link }) => {
      try {
        await write(link);
      } catch (error) {
        throw brokerFailure(error, mesh.slug);
      } finally {
        mesh.invalidate();
      }
    }),
  );
}

export const presenceRoutes = {
  // Kept and applied by the daemon (now, or once the broker connection is back): a hook hands its status
  // over and returns, however slow the broker is.
  setStatus: async (ctx, input) => {
    // A time ahead of this clock (a unit mix-up, a skewed caller) would pin the status: cap it at now.
    const now = Date.now();
    const wanted = {
      status: input.status,
      source: input.source ?? "manual",
      at: Math.min(input.at ?? now, now),
    };
    const results = await Promise.all(
      presenceLinks(ctx, input.mesh).map(async ({ mesh, status }) => {
        const result = await status.set(wanted);
        mesh.invalidate();
        return result;
      }),
    );
    return { ok: true, pending: results.some((r) => r.recorded && !r.sent) };
  },
  status: (ctx, input) => ({
    statuses: presenceLinks(ctx, input.mesh).map(({ mesh, status }) => ({
      mesh: mesh.slug,
      status: status.current?.status ?? null,
      source: status.current?.source ?? null,
      at: status.current === null ? null : new Date(status.current.at).toISOString(),
    })),
  }),
  setSummary: async (ctx, input) => {
    await onEach(presenceLinks(ctx, input.mesh), (link) => link.setSummary(input.summary));
    return { ok: true };
  },
  joinGroup: async (ctx, input) => {
    await onEach(presenceLinks(ctx, input.mesh), (link) => link.joinGroup(input.name, input.role));
    return { ok: true };
  },
  leaveGroup: async (ctx, input) => {
    await onEach(presenceLinks(ctx, input.mesh), (link) => link.leaveGroup(input.name));
    return { ok: true };
  },
} satisfies Partial<Implementations>;
