/** Reading the inbox and marking messages surfaced, scoped to the caller (session or member). */
import { LocalError } from "../errors.js";
import type { Implementations } from "../app.js";
import { unsyncedMeshes } from "../../inbox/sync.js";

/** `since` as an ISO time or epoch milliseconds. */
function sinceMs(since: string | undefined): number | undefined {
  if (since === undefined) return undefined;
  const ms = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
  if (!Number.isFinite(ms)) {
    throw new LocalError(
      "invalid_request",
      `since: "${since}" is not a time`,
      "pass an ISO-8601 time or epoch ms",
    );
  }
  return ms;
}

export const inboxRoutes = {
  inbox: async ({ daemon, caller }, input) => {
    if (daemon.oneShot) {
      throw new LocalError("needs_daemon", "the inbox lives in the daemon", "run it without --no-daemon");
    }
    const meshId = input.mesh === undefined ? undefined : daemon.meshFor(input.mesh, caller.session).meshId;
    const unsynced = await unsyncedMeshes(
      daemon.meshesFor(input.mesh, caller.session),
      input.sync === true ? daemon.inboxSyncWaitMs : null,
    );
    const result = daemon.inbox.list(caller.viewer, {
      meshId,
      unread: input.unread === true,
      sinceMs: sinceMs(input.since),
      limit: input.limit ?? 200,
      scope: input.scope ?? "read",
      liveSessions: daemon.sessions.list().map((s) => s.pubkey),
    });
    for (const message of result.messages) {
      if (message.for_session === null || message.for_session === undefined) continue;
      const owner = daemon.sessionOfKey(message.for_session);
      if (!owner.live) message.for_ended_session = { session_id: owner.sessionId };
    }
    return unsynced.length === 0 ? result : { ...result, unsynced };
  },
  laneActivity: ({ daemon }) => ({
    channel_confirmed_at: daemon.inbox.lastSurfacedAt("channel"),
    channel_pushed_at: daemon.inbox.lastSurfacedAt("push"),
  }),
  reserve: ({ daemon, caller }, input) => ({
    reserved: daemon.inbox.reserve(caller.viewer, input.ids, input.ttl_ms),
  }),
  markSurfaced: ({ daemon, caller }, input) => ({
    ok: true,
    marked: daemon.inbox.markSurfaced(caller.viewer, input.ids, input.lane ?? null),
  }),
} satisfies Partial<Implementations>;
