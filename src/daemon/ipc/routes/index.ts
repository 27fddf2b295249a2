/** Every route of the local API (daemon-api/contract.ts is the contract). */
import type { RouteTable } from "../app.js";
import { eventRoutes } from "./events.js";
import { inboxRoutes } from "./inbox.js";
import { messageRoutes } from "./messages.js";
import { metaRoutes } from "./meta.js";
import { moderationRoutes } from "./moderation.js";
import { peerRoutes } from "./peers.js";
import { presenceRoutes } from "./presence.js";
import { sessionRoutes } from "./sessions.js";

export const ROUTES: RouteTable = [
  ...metaRoutes,
  ...sessionRoutes,
  ...peerRoutes,
  ...presenceRoutes,
  ...messageRoutes,
  ...inboxRoutes,
  ...moderationRoutes,
  ...eventRoutes,
];
