import { meshInfoHandlers } from "./mesh-info.js";
import { messagingHandlers } from "./messaging.js";
import { moderationHandlers } from "./moderation.js";
import { presenceHandlers } from "./presence.js";
import { stateHandlers } from "./state.js";
import { contextHandlers } from "./contexts.js";
import { taskHandlers } from "./tasks.js";
import { leaseHandlers } from "./leases.js";
import { auditHandlers } from "./audit.js";
import type { HandlerTable } from "./types.js";
import { memoryHandlers } from "./memory.js";
import { skillHandlers } from "./skills.js";
import { topicHandlers } from "./topics.js";
import { fileHandlers } from "./files.js";
import { scheduleHandlers } from "./schedules.js";

/** Every frame type the broker serves, by family. */
export const handlers: HandlerTable = {
  ...messagingHandlers,
  ...presenceHandlers,
  ...moderationHandlers,
  ...meshInfoHandlers,
  ...stateHandlers,
  ...contextHandlers,
  ...memoryHandlers,
  ...skillHandlers,
  ...taskHandlers,
  ...leaseHandlers,
  ...auditHandlers,
  ...topicHandlers,
  ...fileHandlers,
  ...scheduleHandlers,
};
