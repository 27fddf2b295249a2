/** `runBroker`: the broker's one entry point (used by `claudemesh broker`, `up`, tests and the benchmark). */
import type { AddressInfo } from "node:net";
import { packageVersion } from "../host/version.js";
import { CloseCode, CloseReason } from "../protocol/index.js";
import { adoptAdminToken, loadOrCreateNodeId } from "./admin-token.js";
import type { ClusterBus } from "./cluster/bus.js";
import { createPostgresBus } from "./cluster/postgres.js";
import { createSingleNodeBus } from "./cluster/single-node.js";
import type { BrokerContext } from "./context.js";
import { DeliveryEngine } from "./delivery/engine.js";
import { DataDirError, describeCause, prepareDataDir } from "./data-dir.js";
import { createLogger, type Logger } from "./log.js";
import { MemberCache } from "./members-cache.js";
import { Metrics } from "./metrics.js";
import { resolveOptions, type BrokerOptions, type ResolvedOptions } from "./options.js";
import { PresenceRegistry } from "./presence/registry.js";
import { PresenceService } from "./presence/service.js";
import { listenForStateChanges } from "./state/changes.js";
import { startLeaseSweep } from "./leases.js";
import { Scheduler } from "./scheduler.js";
import { listenForMeshPushes } from "./mesh-push.js";
import { createListener } from "./server.js";
import { StoreHealth, isStorageFault } from "./store/health.js";
import type { Store } from "./store/port/index.js";
import { createStore, databaseUnusableError } from "./store/index.js";
import type { DbStatus } from "./http/router.js";

export type { BrokerOptions } from "./options.js";

export interface RunningBroker {
  /** `ws://host:port/ws` */
  url: string;
  httpUrl: string;
  host: string;
  port: number;
  /**
   * The admin token when this node knows it (it made it, or its data dir holds it); null on a node that
   * joined a database another node gave the token.
   */
  adminToken: string | null;
  /** True when this start created the admin token (print it once). */
  adminTokenCreated: boolean;
  /** Things the operator should fix, though the broker runs (say, a data dir others can read). */
  warnings: readonly string[];
  /** Graceful shutdown: 1001 to every socket, in-flight writes finished, store closed. */
  close(): Promise<void>;
}

const DRAIN_MS = 5_000;
const DB_PING_CACHE_MS = 500;
const LISTEN_BACKLOG = 4_096;

/**
 * Opens and migrates the store; a database that cannot be opened is reported with its path (or server) and
 * cause.
 */
async function openStore(opts: ResolvedOptions, log: Logger): Promise<Store> {
  let store: Store | null = null;
  try {
    store = createStore({
      dataDir: opts.dataDir,
      databaseUrl: opts.databaseUrl,
      onBackgroundError: (reason) => log.warn({ reason }, "background WAL checkpoint failed"),
    });
    const applied = await store.migrate();
    if (applied.length > 0) log.info({ applied }, "migrated the database");
    return store;
  } catch (err) {
    await store?.close();
    const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
    // Refused as written by a newer claudemesh: the error names the database and says to upgrade.
    if (code === "database_too_new") throw err;
    if (opts.databaseUrl) throw databaseUnusableError(opts.databaseUrl, err);
    const errno = /^E[A-Z]+$/.test(code);
    if (!errno && !isStorageFault(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new DataDirError(
      "data_dir_unusable",
      errno ? `${message} (${describeCause(code)})` : message,
      `check that ${opts.dataDir} is a writable directory with free space, or point --data elsewhere`,
    );
  }
}

export async function runBroker(options: BrokerOptions): Promise<RunningBroker> {
  const opts = resolveOptions(options);
  const { warnings } = prepareDataDir(opts.dataDir);
  const log = createLogger(opts.logLevel, opts.logDestination);
  for (const warning of warnings) log.warn(warning);
  const store = await openStore(opts, log);
  const admin = await adoptAdminToken(opts.dataDir, store).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  if (admin.warning) log.warn(admin.warning);
  const nodeId = loadOrCreateNodeId(opts.dataDir);
  await store.disconnectNodePresences(nodeId, Date.now());

  let cluster: ClusterBus;
  try {
    cluster = opts.databaseUrl
      ? await createPostgresBus({
          url: opts.databaseUrl,
          nodeId,
          log,
          atCommit: (channel, payload) => store.notifyAtCommit(channel, payload),
        })
      : createSingleNodeBus();
  } catch (err) {
    await store.close();
    throw databaseUnusableError(opts.databaseUrl ?? "", err);
  }

  const metrics = new Metrics();
  const storeHealth = new StoreHealth(store, log, (up) => metrics.dbHealthy.set(up ? 1 : 0));
  const ctx = {
    opts,
    store,
    storeHealth,
    log,
    metrics,
    nodeId,
    cluster,
    registry: new PresenceRegistry(),
    members: new MemberCache(store, cluster),
  } as Omit<BrokerContext, "delivery" | "presence"> as BrokerContext;
  Object.assign(ctx, { delivery: new DeliveryEngine(ctx), presence: new PresenceService(ctx) });
  listenForStateChanges(ctx);
  listenForMeshPushes(ctx);

  let lastPing = { at: 0, up: true };
  const dbStatus = async (): Promise<DbStatus> => {
    if (Date.now() - lastPing.at >= DB_PING_CACHE_MS) {
      let up = true;
      try {
        await store.ping();
      } catch {
        // Reported through /health and /health/ready; the process keeps serving.
        up = false;
      }
      lastPing = { at: Date.now(), up };
    }
    const fault = storeHealth.fault;
    metrics.dbHealthy.set(lastPing.up && !fault ? 1 : 0);
    if (!lastPing.up) return { db: "down" };
    return fault ? { db: "failing", reason: fault.reason } : { db: "up" };
  };

  const listener = createListener(ctx, {
    ctx,
    adminTokenHash: admin.hash,
    version: packageVersion(),
    startedAt: Date.now(),
    dbStatus,
  });
  await new Promise<void>((resolve, reject) => {
    listener.http.once("error", reject);
    // A long accept queue: after a restart every client reconnects at once (the kernel caps it at somaxconn).
    listener.http.listen({ port: opts.port, host: opts.host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  storeHealth.start();
  const stopLoopWatch = metrics.watchEventLoop();
  ctx.presence.start();
  ctx.delivery.start();
  const stopLeaseSweep = startLeaseSweep(ctx);
  const scheduler = new Scheduler(ctx);
  scheduler.start();
  void ctx.delivery.refreshQueueDepth();
  const port = (listener.http.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  log.info({ host: opts.host, port, nodeId, store: store.kind }, "broker listening");

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      log.info("shutting down");
      storeHealth.stop();
      stopLoopWatch();
      ctx.presence.stop();
      ctx.delivery.stop();
      stopLeaseSweep();
      await scheduler.stop();
      listener.http.close();
      await ctx.delivery.drain();
      for (const conn of listener.connections) conn.close(CloseCode.goingAway, CloseReason.shuttingDown);
      const deadline = Date.now() + DRAIN_MS;
      while (listener.connections.size > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      for (const conn of listener.connections) conn.terminate();
      await ctx.presence.settle();
      listener.wss.close();
      await store.disconnectNodePresences(nodeId, Date.now());
      await cluster.close();
      await store.close();
      listener.http.closeAllConnections();
    })());

  return {
    url: `ws://${hostForUrl}:${port}/ws`,
    httpUrl: `http://${hostForUrl}:${port}`,
    host: opts.host,
    port,
    adminToken: admin.token,
    adminTokenCreated: admin.created,
    warnings: admin.warning ? [...warnings, admin.warning] : warnings,
    close,
  };
}
