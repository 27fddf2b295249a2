/** Launched sessions: register, deregister, who am I, list. Tokens only ever come back from register. */
import { SessionRegistry } from "../../sessions/registry.js";
import type { Implementations } from "../app.js";
import { LocalError } from "../errors.js";

export const sessionRoutes = {
  registerSession: async ({ daemon, caller }, input) => {
    if (daemon.oneShot) {
      throw new LocalError(
        "needs_daemon",
        "a launched session needs the daemon (it holds the session's connection)",
        "run it without --no-daemon",
      );
    }
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
    return {
      token,
      session_pubkey: session.pubkey,
      mesh_id: session.mesh_id,
      slug: session.slug,
      display_name: session.display_name,
    };
  },
  deregisterSession: async ({ daemon, caller }, input) => {
    // `me` ends the session named by the Authorization header; otherwise the path holds its token.
    const session = input.token === "me" ? caller.session : daemon.sessions.byToken(input.token);
    if (session === null) {
      throw new LocalError("unknown_session", "no session with that token", "it may already have ended");
    }
    await daemon.sessions.end(session, "deregistered");
    return { ok: true };
  },
  sessionsMe: ({ caller }) => {
    if (caller.session === null) {
      throw new LocalError(
        "no_session",
        "this request carries no session token",
        "run inside a session started with `claudemesh launch` (it sets CLAUDEMESH_IPC_TOKEN_FILE)",
      );
    }
    return SessionRegistry.info(caller.session);
  },
  sessions: ({ daemon }) => ({ sessions: daemon.sessions.list().map((s) => SessionRegistry.info(s)) }),
} satisfies Partial<Implementations>;
