/** The broker's HTTP routes (protocol.md §7.2). */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { BrokerContext } from "../context.js";
import { hookStatusRoute } from "./hook-status.js";
import {
  claimInviteRoute,
  listInvitesRoute,
  previewInviteRoute,
  registerInviteRoute,
  revokeInviteRoute,
} from "./invites.js";
import { createMeshRoute } from "./meshes.js";
import { downloadRoute, uploadRoute } from "./files.js";
import { BodyTooLarge, fail, json, parseJsonObject, readBody } from "./respond.js";
import { DEFAULT_WEB_ROOT, serveWeb } from "./web.js";

export interface HttpDeps {
  ctx: BrokerContext;
  /** SHA-256 hex of the admin token. */
  adminTokenHash: string;
  version: string;
  startedAt: number;
  /** Pings the store (cached briefly) and adds what the store's health knows of failing writes. */
  dbStatus: () => Promise<DbStatus>;
  /** The built web app's directory. @default dist/web */
  webRoot?: string;
}

/** `down`: the store does not answer; `failing`: it answers but writes fail (`reason` says why). */
export type DbStatus = { db: "up" | "down" } | { db: "failing"; reason: string };

const NOT_READY_REASON = { down: "db_down", failing: "db_failing" } as const;

/** The request's target as a URL, or null when it is none (`//`, `//host:99999`): the client's mistake. */
export function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? "/", "http://broker");
  } catch {
    // Answered 400 (HTTP) or closed (upgrade) by the caller.
    return null;
  }
}

export function createRouter(deps: HttpDeps) {
  const { ctx } = deps;
  return async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    if (!url) return fail(res, 400, "invalid_argument", "the request target is not a valid path");
    const path = url.pathname;
    const method = req.method ?? "GET";
    try {
      if (method === "GET" && path === "/health") {
        const db = await deps.dbStatus();
        return json(res, 200, {
          status: "ok",
          db: db.db,
          ...(db.db === "failing" ? { dbError: db.reason } : {}),
          version: deps.version,
          gitSha: process.env.CLAUDEMESH_GIT_SHA ?? "unknown",
          uptime: Math.round((Date.now() - deps.startedAt) / 1000),
          serverTime: Date.now(),
          ...(ctx.opts.publicUrl ? { publicUrl: ctx.opts.publicUrl } : {}),
        });
      }
      if (method === "GET" && path === "/health/ready") {
        const db = await deps.dbStatus();
        if (db.db === "up") return json(res, 200, { status: "ready" });
        return json(res, 503, {
          status: "not_ready",
          reason: NOT_READY_REASON[db.db],
          ...(db.db === "failing" ? { message: db.reason } : {}),
        });
      }
      if (method === "GET" && path === "/metrics") {
        const text = ctx.metrics.render();
        res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
        return void res.end(text);
      }
      if (method === "GET" && path === "/invites") return await listInvitesRoute(ctx, req, res);
      const invite = /^\/invites\/([A-Za-z0-9]{1,16})(\/claim|\/revoke)?$/.exec(path);
      if (method === "GET" && invite && !invite[2]) return await previewInviteRoute(ctx, res, invite[1]!);
      const download = /^\/download\/([A-Za-z0-9]{1,64})$/.exec(path);
      if (method === "GET" && download) return await downloadRoute(ctx, req, res, download[1]!, url);
      // Streamed, never read whole: before the JSON body reading below.
      if (method === "POST" && path === "/upload") return await uploadRoute(ctx, req, res);
      if (await serveWeb(deps.webRoot ?? DEFAULT_WEB_ROOT, method, path, req.headers["accept-encoding"], res))
        return;
      if (method !== "POST") return fail(res, 404, "not_found");

      const raw = await readBody(req);
      const body = parseJsonObject(raw);
      if (path === "/join") return fail(res, 410, "invite_format_unsupported");
      // Needs no body: before the check that there is one.
      if (invite?.[2] === "/revoke") return await revokeInviteRoute(ctx, req, res, invite[1]!, raw);
      if (body === null) return fail(res, 400, "invalid_argument", "body must be a JSON object");
      if (path === "/meshes") return await createMeshRoute(ctx, deps.adminTokenHash, req, res, body);
      if (path === "/invites") return await registerInviteRoute(ctx, req, res, raw, body);
      if (invite?.[2] === "/claim") return await claimInviteRoute(ctx, res, invite[1]!, body);
      if (path === "/hook/set-status") return await hookStatusRoute(ctx, req, res, raw, body);
      return fail(res, 404, "not_found");
    } catch (err) {
      if (err instanceof BodyTooLarge) return fail(res, 413, "too_large", "body over 65536 bytes");
      if (ctx.storeHealth.report(err)) {
        if (!res.headersSent)
          fail(res, 503, "store_unavailable", "the broker cannot write to its database; retry later");
        return;
      }
      ctx.log.error({ err, path }, "http route failed");
      if (!res.headersSent) fail(res, 500, "internal_error");
    }
  };
}
