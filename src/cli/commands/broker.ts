/** `claudemesh broker`: runs a broker in this process until Ctrl-C / SIGTERM. */
import { defaultBrokerDataDir } from "../../local/paths.js";
import { ensurePrivateDir } from "../../local/secure-fs.js";
import { DEFAULT_BROKER_PORT } from "../../protocol/constants.js";
import { defineVerb } from "../command.js";
import { usageError } from "../errors.js";
import { untilAborted } from "./daemon.js";

/** `60`, `60/min` → 60; `50/s` → 50 for a per-second flag. */
function rate(flag: string, text: string | undefined, unit: "min" | "s"): number | undefined {
  if (text === undefined) return undefined;
  const match = new RegExp(`^(\\d+)(?:/${unit})?$`).exec(text.trim());
  if (!match)
    throw usageError(
      `--${flag} "${text}" is not a rate`,
      `use a whole number, e.g. --${flag} 60/${unit} (0 lifts the limit)`,
    );
  return Number(match[1]);
}

function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export const brokerVerb = defineVerb({
  path: ["broker"],
  section: "Getting started",
  summary: "Run a broker in the foreground (SQLite by default, PostgreSQL with --database-url)",
  description:
    "On first start it creates an admin token (stored 0600 as <data dir>/admin-token) and prints it once.\n" +
    "Prints `listening on ws://HOST:PORT/ws` when ready (with --port 0, the port it got). Logs are JSON\n" +
    "lines on stderr. The limits default to the protocol's numbers (docs/protocol.md); 0 lifts one.",
  flags: {
    host: { type: "string", valueName: "host", default: "127.0.0.1", description: "address to listen on" },
    port: {
      type: "number",
      valueName: "port",
      default: DEFAULT_BROKER_PORT,
      description: "port (0 picks a free one)",
    },
    data: { type: "string", valueName: "dir", description: "data directory (default: ~/.claudemesh/broker)" },
    databaseUrl: {
      type: "string",
      valueName: "postgres://…",
      description: "use PostgreSQL (also DATABASE_URL)",
    },
    publicUrl: {
      type: "string",
      valueName: "url",
      description: "the address invite links carry, e.g. https://mesh.example.com",
    },
    basePath: { type: "string", valueName: "/p", description: "path prefix a reverse proxy strips" },
    maxPeersPerMesh: { type: "number", valueName: "n", description: "presences per mesh (default 100)" },
    sendRate: { type: "string", valueName: "N/min", description: "sends per member per minute (default 60)" },
    sendBurst: { type: "number", valueName: "n", description: "send burst per member (default 10)" },
    frameRate: {
      type: "string",
      valueName: "N/s",
      description: "other frames per connection per second (default 50)",
    },
  },
  examples: [
    "claudemesh broker",
    "claudemesh broker --host 0.0.0.0 --public-url https://mesh.example.com",
    "claudemesh broker --port 0 --data /tmp/broker",
  ],
  async handler(ctx) {
    const { runBroker } = await import("../../broker/index.js");
    const dataDir = ctx.flags.data ?? defaultBrokerDataDir();
    ensurePrivateDir(dataDir);
    const basePath = ctx.flags.basePath;
    const broker = await runBroker({
      host: ctx.flags.host,
      port: ctx.flags.port,
      dataDir,
      databaseUrl: ctx.flags.databaseUrl ?? (ctx.env.DATABASE_URL || undefined),
      publicUrl: ctx.flags.publicUrl,
      basePath,
      maxPeersPerMesh: ctx.flags.maxPeersPerMesh,
      sendRatePerMin: rate("send-rate", ctx.flags.sendRate, "min"),
      sendBurst: ctx.flags.sendBurst,
      frameRatePerSec: rate("frame-rate", ctx.flags.frameRate, "s"),
    });
    const url = `ws://${urlHost(ctx.flags.host)}:${broker.port}${(basePath ?? "").replace(/\/+$/, "")}/ws`;
    if (ctx.json) {
      ctx.out.data({
        url,
        port: broker.port,
        data_dir: dataDir,
        admin_token: broker.adminTokenCreated ? broker.adminToken : null,
      });
    } else {
      ctx.out.line(`listening on ${url}`);
      if (broker.adminTokenCreated) {
        ctx.out.line(`admin token (shown once; stored 0600 in ${dataDir}/admin-token): ${broker.adminToken}`);
      }
    }
    await untilAborted(ctx.signal);
    await broker.close();
  },
});
