/** The daemon itself: version, health, mesh reload and leave, shutdown. */
import { DAEMON_API_VERSION } from "../../../daemon-api/contract.js";
import type { Implementations } from "../app.js";
import { brokerFailure } from "../errors.js";

/** What this daemon can do, for `version` (clients check before using a newer route). */
export const DAEMON_FEATURES = [
  "sessions",
  "outbox",
  "inbox",
  "events",
  "last_event_id",
  "moderation",
  "leave",
  "groups",
  "message_status",
  "lanes",
];

export const metaRoutes = {
  version: ({ daemon }) => ({
    version: daemon.version,
    api: DAEMON_API_VERSION,
    pid: process.pid,
    features: DAEMON_FEATURES,
  }),
  health: ({ daemon }) => ({
    ok: daemon.meshes.every((m) => m.state === "connected" || m.disabled),
    pid: process.pid,
    uptime_ms: Date.now() - daemon.startedAt,
    meshes: daemon.meshes.map((m) => ({
      mesh_id: m.meshId,
      slug: m.slug,
      state: m.state,
      connected: m.state === "connected",
      last_error: m.lastError,
    })),
    sessions: daemon.sessions.list().length,
  }),
  reloadMeshes: ({ daemon }) => ({ ok: true, ...daemon.reload() }),
  leaveMesh: async ({ daemon, caller }, input) => {
    const mesh = daemon.meshFor(input.mesh, caller.session);
    mesh.assertUsable();
    let memberId: string;
    try {
      memberId = (await mesh.control.leaveMesh()).memberId;
    } catch (error) {
      throw brokerFailure(error, mesh.slug);
    }
    await daemon.markLeft(mesh);
    return { ok: true, mesh: mesh.slug, member_id: memberId };
  },
  shutdown: ({ requestShutdown }) => {
    requestShutdown();
    return { ok: true };
  },
} satisfies Partial<Implementations>;
