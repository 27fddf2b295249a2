/**
 * The daemon run inside another process for one command (`claudemesh --no-daemon …`): the same service
 * code as the real daemon — target resolution, encryption, the outbox, the routes — over a one-shot member
 * connection to one mesh, with its databases in a private temp dir that is deleted on close.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { DaemonApiError, type InProcessStream, type InProcessTransport } from "../daemon-api/client.js";
import type { ApiError } from "../daemon-api/contract.js";
import { configFile } from "../host/paths.js";
import { Daemon } from "./daemon.js";
import { createApp } from "./ipc/app.js";
import { ROUTES } from "./ipc/routes/index.js";
import type { LinkFactory } from "./links.js";
import { silentLogger } from "./logger.js";

export interface InProcessDaemon {
  /** Answers requests as the daemon's local API would. */
  transport: InProcessTransport;
  /** Opens the event stream as the daemon's local API would (for `state watch`, `inbox --follow`). */
  stream: InProcessStream;
  /** Says goodbye to the broker, closes the databases and deletes them. Safe to call twice. */
  close(): Promise<void>;
}

export interface InProcessOptions {
  meshId: string;
  version: string;
  /** @default real broker connections */
  linkFactory?: LinkFactory;
}

export async function openInProcessDaemon(options: InProcessOptions): Promise<InProcessDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "claudemesh-oneshot-"));
  let daemon: Daemon;
  try {
    daemon = await Daemon.open({
      paths: {
        config: configFile(),
        outboxDb: join(dir, "outbox.db"),
        inboxDb: join(dir, "inbox.db"),
        sessionKeys: join(dir, "session-keys"),
        sessionsFile: join(dir, "sessions.json"),
      },
      logger: silentLogger(),
      version: options.version,
      reaper: false,
      oneShot: { meshId: options.meshId },
      ...(options.linkFactory === undefined ? {} : { linkFactory: options.linkFactory }),
    });
    daemon.start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const app = createApp(daemon, ROUTES, () => undefined);
  let closing: Promise<void> | null = null;
  return {
    transport: ({ method, url, headers, body }) => app.request(method, url, { headers, body }),
    async stream({ url, headers, signal }) {
      const response = await app.handle({ method: "GET", url, headers });
      if (!("sse" in response)) {
        throw new DaemonApiError(response.status, response.body as Partial<ApiError>);
      }
      const out = new PassThrough();
      response.sse({
        write: (chunk) => void out.write(chunk),
        end: () => void out.end(),
        onClose: (listener) => void out.once("close", listener),
      });
      signal?.addEventListener("abort", () => out.destroy(), { once: true });
      return Object.assign(out, { statusCode: 200 }) as unknown as IncomingMessage;
    },
    close() {
      closing ??= daemon.stop({ bye: true }).finally(() => rmSync(dir, { recursive: true, force: true }));
      return closing;
    },
  };
}
