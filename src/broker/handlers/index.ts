import { meshInfoHandlers } from "./mesh-info.js";
import { messagingHandlers } from "./messaging.js";
import { moderationHandlers } from "./moderation.js";
import { presenceHandlers } from "./presence.js";
import { taskHandlers } from "./tasks.js";
import { leaseHandlers } from "./leases.js";
import type { HandlerTable } from "./types.js";

/** Every frame type the broker serves, by family. */
export const handlers: HandlerTable = {
  ...messagingHandlers,
  ...presenceHandlers,
  ...moderationHandlers,
  ...meshInfoHandlers,
  ...taskHandlers,
  ...leaseHandlers,
};
