/** The daemon's entry points: `runDaemon` for `claudemesh daemon up --foreground`; the core for tests and tools. */
export { runDaemon, type RunDaemonOptions } from "./run.js";
export { Daemon, type DaemonOptions, type DaemonPaths } from "./daemon.js";
export { createApp, type ApiRequest, type ApiResponse, type DaemonApp, type SseSink } from "./ipc/app.js";
export { ROUTES } from "./ipc/routes/index.js";
export { createIpcServer, listenUnix, listenTcp, closeServer } from "./ipc/server.js";
export type { BrokerLink, LinkFactory } from "./links.js";
export { openInProcessDaemon, type InProcessDaemon } from "./in-process.js";
