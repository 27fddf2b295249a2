/**
 * Presence writes: status, summary, groups. A session caller writes on its own session connection; others
 * on the member's control-plane connection of the named mesh, or of every usable mesh.
 */
import { z } from "zod";
import { PresenceStatus, SUMMARY_MAX_CHARS } from "../../../protocol/index.js";
import type { BrokerLink } from "../../links.js";
import type { MeshRuntime } from "../../meshes/mesh-runtime.js";
import { ok, parseInput, type RouteContext, type RouteTable } from "../app.js";
import { brokerFailure } from "../errors.js";
import type { StatusKeeper } from "../../meshes/wanted-status.js";

const StatusBody = z.object({
  status: PresenceStatus,
  source: z.enum(["manual", "hook"]).optional(),
  mesh: z.string().min(1).optional(),
  /** When the reporter saw the event (epoch ms); a write older than the one held is dropped. */
  at: z.number().positive().optional(),
});
const SummaryBody = z.object({
  summary: z.string().max(SUMMARY_MAX_CHARS * 4),
  mesh: z.string().min(1).optional(),
});
const GroupBody = z.object({
  name: z.string().min(1).max(128),
  role: z.string().min(1).max(64).optional(),
  mesh: z.string().min(1).optional(),
});

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

export const presenceRoutes: RouteTable = [
  [
    "POST",
    "/v1/status",
    async (ctx) => {
      // Kept and applied by the daemon (now, or once the broker connection is back): a hook hands its
      // status over and returns, however slow the broker is.
      const input = parseInput(StatusBody, ctx.body);
      const wanted = { status: input.status, source: input.source ?? "manual", at: input.at ?? Date.now() };
      const results = await Promise.all(
        presenceLinks(ctx, input.mesh).map(async ({ mesh, status }) => {
          const result = await status.set(wanted);
          mesh.invalidate();
          return result;
        }),
      );
      return ok({ ok: true, pending: results.some((r) => r.recorded && !r.sent) });
    },
  ],
  [
    "GET",
    "/v1/status",
    (ctx) => {
      const statuses = presenceLinks(ctx, ctx.query.get("mesh") ?? undefined).map(({ mesh, status }) => ({
        mesh: mesh.slug,
        status: status.current?.status ?? null,
        source: status.current?.source ?? null,
        at: status.current === null ? null : new Date(status.current.at).toISOString(),
      }));
      return ok({ statuses });
    },
  ],
  [
    "POST",
    "/v1/summary",
    async (ctx) => {
      const input = parseInput(SummaryBody, ctx.body);
      await onEach(presenceLinks(ctx, input.mesh), (link) => link.setSummary(input.summary));
      return ok({ ok: true });
    },
  ],
  [
    "POST",
    "/v1/groups/join",
    async (ctx) => {
      const input = parseInput(GroupBody, ctx.body);
      await onEach(presenceLinks(ctx, input.mesh), (link) => link.joinGroup(input.name, input.role));
      return ok({ ok: true });
    },
  ],
  [
    "POST",
    "/v1/groups/leave",
    async (ctx) => {
      const input = parseInput(GroupBody.omit({ role: true }), ctx.body);
      await onEach(presenceLinks(ctx, input.mesh), (link) => link.leaveGroup(input.name));
      return ok({ ok: true });
    },
  ],
];
