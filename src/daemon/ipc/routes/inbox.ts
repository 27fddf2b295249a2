/** Reading the inbox and marking messages surfaced, scoped to the caller (session or member). */
import { z } from "zod";
import { SURFACED_LANES } from "../../../daemon-api/contract.js";
import { INBOX_MAX_LIMIT, RESERVATION_MS } from "../../inbox/store.js";
import { ok, parseInput, type RouteTable } from "../app.js";
import { ApiFailure } from "../errors.js";

const InboxQuery = z.object({
  mesh: z.string().min(1).optional(),
  unread: z.enum(["1", "0", "true", "false"]).optional(),
  since: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(INBOX_MAX_LIMIT).optional(),
  scope: z.enum(["lane", "read"]).optional(),
});
const Ids = z.array(z.string().min(1).max(128)).max(INBOX_MAX_LIMIT);
const SurfacedBody = z.object({ ids: Ids, lane: z.enum(SURFACED_LANES).optional() });
const ReserveBody = z.object({
  ids: Ids,
  ttl_ms: z
    .number()
    .int()
    .min(1)
    .max(RESERVATION_MS * 4)
    .optional(),
});

/** `since` as an ISO time or epoch milliseconds. */
function sinceMs(since: string | undefined): number | undefined {
  if (since === undefined) return undefined;
  const ms = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
  if (!Number.isFinite(ms)) {
    throw new ApiFailure(
      400,
      "invalid_request",
      `since: "${since}" is not a time`,
      "pass an ISO-8601 time or epoch ms",
    );
  }
  return ms;
}

export const inboxRoutes: RouteTable = [
  [
    "GET",
    "/v1/inbox",
    ({ daemon, caller, query }) => {
      const input = parseInput(InboxQuery, Object.fromEntries(query));
      const meshId = input.mesh === undefined ? undefined : daemon.meshFor(input.mesh, caller.session).meshId;
      const result = daemon.inbox.list(caller.viewer, {
        meshId,
        unread: input.unread === "1" || input.unread === "true",
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
      return ok(result);
    },
  ],
  [
    "GET",
    "/v1/inbox/lanes",
    ({ daemon }) =>
      ok({
        channel_confirmed_at: daemon.inbox.lastSurfacedAt("channel"),
        channel_pushed_at: daemon.inbox.lastSurfacedAt("push"),
      }),
  ],
  [
    "POST",
    "/v1/inbox/reserve",
    ({ daemon, caller, body }) => {
      const input = parseInput(ReserveBody, body);
      return ok({ reserved: daemon.inbox.reserve(caller.viewer, input.ids, input.ttl_ms) });
    },
  ],
  [
    "POST",
    "/v1/inbox/surfaced",
    ({ daemon, caller, body }) => {
      const input = parseInput(SurfacedBody, body);
      const marked = daemon.inbox.markSurfaced(caller.viewer, input.ids, input.lane ?? null);
      return ok({ ok: true, marked });
    },
  ],
];
