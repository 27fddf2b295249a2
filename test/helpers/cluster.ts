/**
 * Three (or `count`) broker processes on one fresh PostgreSQL database for a test file: the first starts
 * alone (it gives the database its admin token), the others together; every peer and client the file
 * opened is closed and every node disposed afterwards. Call inside a suite skipped without
 * `TEST_DATABASE_URL` (`postgresAvailable`).
 */
import { afterAll, beforeAll } from "vitest";
import {
  closeAllClients,
  closeAllPeers,
  startBroker,
  type BrokerProcess,
  type StartBrokerOptions,
} from "./broker.js";
import { useFreshDatabase } from "./postgres.js";

export interface Cluster {
  /** The database the nodes share. */
  url: string;
  /** The nodes, filled in `beforeAll`. */
  nodes: BrokerProcess[];
  /** Node `i`, once started. */
  node(i: number): BrokerProcess;
}

export function useCluster(
  prefix: string,
  options: Omit<StartBrokerOptions, "databaseUrl"> = {},
  count = 3,
): Cluster {
  const url = useFreshDatabase(prefix);
  const nodes: BrokerProcess[] = [];
  const start = () => startBroker({ ...options, databaseUrl: url });
  beforeAll(async () => {
    nodes.push(await start());
    nodes.push(...(await Promise.all(Array.from({ length: count - 1 }, start))));
  }, 60_000);
  afterAll(async () => {
    closeAllPeers();
    await closeAllClients();
    await Promise.all(nodes.map((node) => node.dispose()));
  });
  return {
    url,
    nodes,
    node(i) {
      const found = nodes[i];
      if (!found) throw new Error(`node ${i} is not running`);
      return found;
    },
  };
}
