/** The daemon's implementation of every endpoint of src/daemon-api/endpoints.ts, by family. */
import type { Implementations, StreamHandler } from "../app.js";
import { eventsRoute } from "./events.js";
import { inboxRoutes } from "./inbox.js";
import { infoRoutes } from "./info.js";
import { messageRoutes } from "./messages.js";
import { metaRoutes } from "./meta.js";
import { moderationRoutes } from "./moderation.js";
import { peerRoutes } from "./peers.js";
import { presenceRoutes } from "./presence.js";
import { sessionRoutes } from "./sessions.js";
import { stateRoutes } from "./state.js";
import { memorySkillRoutes } from "./memory-skills.js";
import { taskRoutes } from "./tasks.js";
import { leaseRoutes } from "./leases.js";
import { auditRoutes } from "./audit.js";
import { topicRoutes } from "./topics.js";
import { fileRoutes } from "./files.js";
import { scheduleRoutes } from "./schedules.js";

export const ROUTES: { implementations: Implementations; events: StreamHandler } = {
  implementations: {
    ...metaRoutes,
    ...sessionRoutes,
    ...peerRoutes,
    ...presenceRoutes,
    ...messageRoutes,
    ...inboxRoutes,
    ...moderationRoutes,
    ...infoRoutes,
    ...stateRoutes,
    ...memorySkillRoutes,
    ...taskRoutes,
    ...leaseRoutes,
    ...auditRoutes,
    ...topicRoutes,
    ...fileRoutes,
    ...scheduleRoutes,
  },
  events: eventsRoute,
};
