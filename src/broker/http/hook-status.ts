/** POST /hook/set-status (protocol.md §7.2): signed; resolves only among the caller member's presences. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { PresenceStatus } from "../../protocol/index.js";
import type { BrokerContext } from "../context.js";
import { fail, json } from "./respond.js";
import { verifySignedRequest } from "./signed.js";

const HookStatus = z.object({
  cwd: z.string().max(4096),
  pid: z.number().int().nonnegative().optional(),
  status: PresenceStatus,
  session_id: z.string().max(256).optional(),
});

export async function hookStatusRoute(
  ctx: BrokerContext,
  req: IncomingMessage,
  res: ServerResponse,
  raw: Buffer,
  body: Record<string, unknown> | null,
): Promise<void> {
  ctx.metrics.hookRequests.inc();
  const caller = await verifySignedRequest(ctx, req, raw);
  if (!caller.ok) return fail(res, 401, caller.error);
  const parsed = HookStatus.safeParse(body);
  if (!parsed.success) return fail(res, 400, "invalid_argument", parsed.error.issues[0]?.message);
  const f = parsed.data;
  const [allowed] = await ctx.store.takeTokens(
    [{ key: `hook|${caller.pubkey}|${f.pid ?? ""}|${f.cwd}`, burst: 30, refillPerSec: 0.5 }],
    Date.now(),
  );
  if (!allowed) {
    ctx.metrics.hookRateLimited.inc();
    return fail(res, 429, "rate_limited");
  }
  const own = ctx.registry.ofMember(caller.member.id).filter((p) => p.meshId === caller.meshId);
  const target =
    (caller.sessionPubkey && own.find((p) => p.sessionPubkey === caller.sessionPubkey)) ||
    (f.pid !== undefined && own.find((p) => p.pid === f.pid && p.cwd === f.cwd)) ||
    own.filter((p) => p.cwd === f.cwd).sort((a, b) => b.connectedAt - a.connectedAt)[0];
  if (!target) {
    ctx.presence.heldHooks.hold({
      memberId: caller.member.id,
      pid: f.pid ?? null,
      cwd: f.cwd,
      sessionPubkey: caller.sessionPubkey,
      status: f.status,
    });
    return json(res, 200, { ok: true, pending: true });
  }
  await ctx.presence.setStatus(target, f.status, "hook");
  json(res, 200, { ok: true, presence_id: target.id });
}
