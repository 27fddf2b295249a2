/** The wake-up of a single broker node: there is no other node to tell, and none tells this one. */
import type { Wake } from "./wake.js";

export function createSingleNodeWake(): Wake {
  return {
    publish() {},
    onWake() {},
    async close() {},
  };
}
