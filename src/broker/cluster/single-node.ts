/** The cluster of one broker node (SQLite): there is no other node to tell, and none tells this one. */
import type { ClusterBus } from "./bus.js";

export function createSingleNodeBus(): ClusterBus {
  return {
    shared: false,
    publish() {},
    on() {},
    async exclusive(_job, work) {
      await work();
    },
    async close() {},
  };
}
