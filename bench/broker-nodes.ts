/**
 * The brokers of a run: one, or N nodes on one PostgreSQL database, each its own process with its own
 * port, data dir (admin token, node id) and log, all under the run's temp dir.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startBroker, tail, type BrokerProcess } from "./broker-process.js";

export interface NodeDirs {
  dataDir: string;
  /** Holds the node's `broker.log`. */
  logDir: string;
}

/** Where node `index` (0-based) keeps its data and log. */
export function nodeDirs(tmp: string, index: number): NodeDirs {
  const logDir = join(tmp, `node-${index + 1}`);
  mkdirSync(logDir, { recursive: true });
  return { dataDir: join(logDir, "data"), logDir };
}

/**
 * Starts `count` brokers on `databaseUrl` (SQLite in each data dir when null). Each is added to `started`
 * as soon as it runs, so the caller stops it even when a later one fails. The first node creates the
 * tables; the others start together once they exist.
 */
export async function startBrokerNodes(
  f: { tmp: string; count: number; databaseUrl: string | null; profileDir: string | null },
  started: BrokerProcess[],
): Promise<BrokerProcess[]> {
  const one = async (index: number): Promise<BrokerProcess> => {
    const broker = await startBroker({
      ...nodeDirs(f.tmp, index),
      profileDir: f.profileDir,
      databaseUrl: f.databaseUrl,
    });
    started.push(broker);
    return broker;
  };
  const first = await one(0);
  const rest = await Promise.all(Array.from({ length: f.count - 1 }, (_, i) => one(i + 1)));
  return [first, ...rest];
}

/** The last lines of every node's log, each under its node's name when there are several. */
export function tails(brokers: BrokerProcess[]): string {
  if (brokers.length === 1) return tail(brokers[0]!.logFile);
  return brokers.map((b, i) => `node ${i + 1} (${b.logFile}):\n${tail(b.logFile)}`).join("\n");
}
