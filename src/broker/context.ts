/** Everything a handler may use; one per broker node. Holds no transport state. */
import type { ClusterBus } from "./cluster/bus.js";
import type { Logger } from "./log.js";
import type { MemberCache } from "./members-cache.js";
import type { Metrics } from "./metrics.js";
import type { ResolvedOptions } from "./options.js";
import type { PresenceRegistry } from "./presence/registry.js";
import type { StoreHealth } from "./store/health.js";
import type { Store } from "./store/port/index.js";
import type { DeliveryEngine } from "./delivery/engine.js";
import type { PresenceService } from "./presence/service.js";

export interface BrokerContext {
  readonly opts: ResolvedOptions;
  readonly store: Store;
  /** Whether the store takes writes (a storage fault makes it not ready until a write succeeds). */
  readonly storeHealth: StoreHealth;
  readonly registry: PresenceRegistry;
  readonly members: MemberCache;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly nodeId: string;
  /** The other nodes on the same store (none on SQLite). */
  readonly cluster: ClusterBus;
  readonly delivery: DeliveryEngine;
  readonly presence: PresenceService;
}
