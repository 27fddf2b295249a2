/** The wake-up of a single broker node: a notice reaches this node's handler at once, in the same turn. */
import type { Wake, WakeHandler } from "./wake.js";

export function createInProcessWake(): Wake {
  let handler: WakeHandler | null = null;
  return {
    publish(recipients) {
      if (recipients.length > 0) handler?.(recipients);
    },
    onWake(next) {
      handler = next;
    },
    async close() {
      handler = null;
    },
  };
}
