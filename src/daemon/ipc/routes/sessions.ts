/** Launched sessions: register, deregister, who am I, list. Tokens only ever come back from register. */
import { z } from "zod";
import type { RegisterSessionResponse } from "../../../daemon-api/contract.js";
import { MessageMode } from "../../../protocol/index.js";
import { SessionRegistry } from "../../sessions/registry.js";
import { ok, parseInput, type RouteTable } from "../app.js";
import { ApiFailure } from "../errors.js";

const RegisterBody = z.object({
  pid: z.number().int().positive(),
  session_id: z.string().min(1).max(256),
  mesh: z.string().min(1).optional(),
  name: z.string().min(1).max(64).optional(),
  role: z.string().min(1).max(64).optional(),
  groups: z.array(z.string().min(1).max(128)).max(64).optional(),
  message_mode: MessageMode.optional(),
  cwd: z.string().max(4096),
  channel_flag: z.boolean().optional(),
});

export const sessionRoutes: RouteTable = [
  [
    "POST",
    "/v1/sessions/register",
    async ({ daemon, caller, body }) => {
      const input = parseInput(RegisterBody, body);
      const mesh = daemon.meshFor(input.mesh, caller.session);
      mesh.assertUsable();
      const { token, session } = await daemon.sessions.register({
        mesh_id: mesh.meshId,
        session_id: input.session_id,
        pid: input.pid,
        cwd: input.cwd,
        display_name: input.name ?? mesh.config.display_name,
        role: input.role ?? null,
        groups: input.groups ?? [],
        message_mode: input.message_mode ?? "push",
        channel_flag: input.channel_flag ?? false,
      });
      const response: RegisterSessionResponse = {
        token,
        session_pubkey: session.pubkey,
        mesh_id: session.mesh_id,
        slug: session.slug,
        display_name: session.display_name,
      };
      return ok(response, 201);
    },
  ],
  [
    "DELETE",
    "/v1/sessions/:token",
    async ({ daemon, caller, params }) => {
      // `me` ends the session named by the Authorization header; otherwise the path holds its token.
      const session = params.token === "me" ? caller.session : daemon.sessions.byToken(params.token ?? "");
      if (session === null) {
        throw new ApiFailure(
          404,
          "unknown_session",
          "no session with that token",
          "it may already have ended",
        );
      }
      await daemon.sessions.end(session, "deregistered");
      return ok({ ok: true });
    },
  ],
  [
    "GET",
    "/v1/sessions/me",
    ({ caller }) => {
      if (caller.session === null) {
        throw new ApiFailure(
          401,
          "no_session",
          "this request carries no session token",
          "run inside a session started with `claudemesh launch` (it sets CLAUDEMESH_IPC_TOKEN_FILE)",
        );
      }
      return ok(SessionRegistry.info(caller.session));
    },
  ],
  [
    "GET",
    "/v1/sessions",
    ({ daemon }) => ok({ sessions: daemon.sessions.list().map((s) => SessionRegistry.info(s)) }),
  ],
];
