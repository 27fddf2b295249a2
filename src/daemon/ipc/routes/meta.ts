/** `GET /v1/version`, `GET /v1/health`, mesh reload and leave, shutdown. */
import { z } from "zod";
import {
  DAEMON_API_VERSION,
  type HealthResponse,
  type VersionResponse,
} from "../../../daemon-api/contract.js";
import { ok, parseInput, type RouteTable } from "../app.js";
import { brokerFailure } from "../errors.js";

/** What this daemon's API offers beyond the routes every version has. */
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
];

const LeaveBody = z.object({ mesh: z.string().min(1).optional() });

export const metaRoutes: RouteTable = [
  [
    "GET",
    "/v1/version",
    ({ daemon }) => {
      const body: VersionResponse = {
        version: daemon.version,
        api: DAEMON_API_VERSION,
        pid: process.pid,
        features: DAEMON_FEATURES,
      };
      return ok(body);
    },
  ],
  [
    "GET",
    "/v1/health",
    ({ daemon }) => {
      const body: HealthResponse = {
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
      };
      return ok(body);
    },
  ],
  ["POST", "/v1/meshes/reload", ({ daemon }) => ok({ ok: true, ...daemon.reload() })],
  [
    "POST",
    "/v1/meshes/leave",
    async ({ daemon, caller, body }) => {
      const input = parseInput(LeaveBody, body);
      const mesh = daemon.meshFor(input.mesh, caller.session);
      mesh.assertUsable();
      let memberId: string;
      try {
        memberId = (await mesh.control.leaveMesh()).memberId;
      } catch (error) {
        throw brokerFailure(error, mesh.slug);
      }
      await daemon.markLeft(mesh);
      return ok({ ok: true, mesh: mesh.slug, member_id: memberId });
    },
  ],
  [
    "POST",
    "/v1/shutdown",
    ({ requestShutdown }) => {
      requestShutdown();
      return ok({ ok: true });
    },
  ],
];
