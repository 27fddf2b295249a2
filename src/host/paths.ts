/** Where claudemesh keeps its files (architecture.md "Paths"); every override honoured here only. */
import { userInfo } from "node:os";
import { isAbsolute, join } from "node:path";
import { ensurePrivateDir } from "./secure-fs.js";

/**
 * The user's home directory: `HOME` when it is an absolute path, else the account's. An empty or relative
 * `HOME` (a bare service environment) would otherwise put keys and config under the working directory.
 */
export function userHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME?.trim();
  return home && isAbsolute(home) ? home : userInfo().homedir;
}

/** `~/.claudemesh`, or `CLAUDEMESH_CONFIG_DIR`. Created 0700 when missing. */
export function configDir(): string {
  const dir = process.env.CLAUDEMESH_CONFIG_DIR || join(userHome(), ".claudemesh");
  ensurePrivateDir(dir);
  return dir;
}

export function configFile(): string {
  return join(configDir(), "config.json");
}

/** `~/.claudemesh/daemon`, or `CLAUDEMESH_DAEMON_DIR`. Created 0700 when missing. */
export function daemonDir(): string {
  const dir = process.env.CLAUDEMESH_DAEMON_DIR || join(configDir(), "daemon");
  ensurePrivateDir(dir);
  return dir;
}

export const daemonFiles = {
  socket: (): string => join(daemonDir(), "daemon.sock"),
  pid: (): string => join(daemonDir(), "daemon.pid"),
  log: (): string => join(daemonDir(), "daemon.log"),
  lock: (): string => join(daemonDir(), "daemon.lock"),
  spawnLock: (): string => join(daemonDir(), "spawn.lock"),
  spawnFailed: (): string => join(daemonDir(), "spawn-failed"),
  outboxDb: (): string => join(daemonDir(), "outbox.db"),
  inboxDb: (): string => join(daemonDir(), "inbox.db"),
  localToken: (): string => join(daemonDir(), "local-token"),
  sessionKeys: (): string => join(daemonDir(), "session-keys"),
};

/** Default broker data dir (`claudemesh broker --data` overrides). */
export function defaultBrokerDataDir(): string {
  return join(configDir(), "broker");
}
