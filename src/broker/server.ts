/** HTTP + WebSocket on one port; the WebSocket only at `/ws` (protocol.md §1.1). */
import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { MAX_FRAME_BYTES, WS_PATH } from "../protocol/index.js";
import { Connection } from "./connection.js";
import type { BrokerContext } from "./context.js";
import { handlers } from "./handlers/index.js";
import { createRouter, requestUrl, type HttpDeps } from "./http/router.js";

export interface Listener {
  http: Server;
  wss: WebSocketServer;
  connections: Set<Connection>;
}

export function createListener(ctx: BrokerContext, deps: HttpDeps): Listener {
  const route = createRouter(deps);
  // Room for `X-File-Keys` of an upload sealed to a few hundred members (about 200 bytes each, §7.2).
  const http = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    route(req, res).catch((err: unknown) => ctx.log.error({ err }, "http request failed"));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const connections = new Set<Connection>();
  const wsPaths = new Set([WS_PATH, `${ctx.opts.basePath}${WS_PATH}`]);

  http.on("upgrade", (req, socket: Duplex, head) => {
    const path = requestUrl(req)?.pathname;
    if (path === undefined || !wsPaths.has(path)) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(ctx, ws, handlers, socket);
      connections.add(conn);
      ws.on("close", () => connections.delete(conn));
    });
  });
  return { http, wss, connections };
}
