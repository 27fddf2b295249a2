/**
 * Hands a login link to the user's browser without putting it on a command line, where any local user
 * reads it (`/proc/<pid>/cmdline`, `ps`) while the opener and the browser run. The browser is sent to a
 * one-time page on 127.0.0.1 instead, whose address holds only a random token; the page takes the browser
 * on to the link. It answers once, and on Linux only a connection made by this user (the socket's owner in
 * `/proc/net/tcp`), so another local user who read the address cannot take the link first.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface LoginHandoff {
  /** The page to open: `http://127.0.0.1:<port>/<token>`. */
  url: string;
  /** Resolves true once a browser of this user took the link, false once `ttlMs` passed first. */
  taken: Promise<boolean>;
  close(): void;
}

/** The owner (uid) of the other end of a loopback TCP connection, from `/proc/net/tcp{,6}`; null: unknown. */
export function peerUid(socket: Socket): number | null {
  const local = socket.localPort;
  const remote = socket.remotePort;
  if (local === undefined || remote === undefined) return null;
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid …
      const fields = line.trim().split(/\s+/);
      const [, from, to, , , , , uid] = fields;
      if (from === undefined || to === undefined || uid === undefined) continue;
      // The browser's socket: its own port is our peer's, and it is connected to our port.
      if (from.endsWith(`:${hex(remote)}`) && to.endsWith(`:${hex(local)}`)) return Number(uid);
    }
  }
  return null;
}

/** Whether a connection may take the link: on Linux, only one made by this user. */
function sameUser(socket: Socket): boolean {
  if (process.platform !== "linux" || typeof process.getuid !== "function") return true;
  return peerUid(socket) === process.getuid();
}

function page(link: string): string {
  // `<` escaped so nothing in the link can close the script element.
  const target = JSON.stringify(link).replace(/</g, "\\u003c");
  return (
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
    `<title>claudemesh</title><p>Opening the claudemesh dashboard…</p>` +
    `<script>location.replace(${target})</script>`
  );
}

/** Serves `link` once on 127.0.0.1 for up to `ttlMs`. */
export async function serveLoginOnce(link: string, ttlMs: number): Promise<LoginHandoff> {
  const token = randomBytes(24).toString("base64url");
  let server: Server | null = null;
  let settle!: (taken: boolean) => void;
  const taken = new Promise<boolean>((resolve) => (settle = resolve));
  const close = (result: boolean): void => {
    clearTimeout(timer);
    server?.close();
    server?.closeAllConnections();
    settle(result);
  };
  server = createServer((req, res) => {
    const own = req.url === `/${token}` && req.method === "GET" && sameUser(req.socket);
    if (!own) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    });
    res.end(page(link), () => close(true));
  });
  const timer = setTimeout(() => close(false), ttlMs);
  timer.unref();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/${token}`, taken, close: () => close(false) };
}
