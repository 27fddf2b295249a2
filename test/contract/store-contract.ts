/**
 * The storage port's contract suite (src/broker/store/port/, one file per family). Every adapter runs it:
 *
 *   runStoreContract("sqlite", async () => createSqliteStore({ path }), cleanup);
 *
 * Each test gets a fresh store from `makeStore` (migrated here, so `migrate()` must be idempotent), and
 * the store is closed, then `cleanup` called, after it.
 *
 * `racingStoresContract` races two stores on one database (two connections, as two broker nodes would
 * have) for what the port promises under concurrency; every adapter runs it too.
 */
import { afterEach, beforeEach, describe } from "vitest";
import type { Store } from "../../src/broker/store/port/index.js";
import { acksContract } from "./store/acks.js";
import { claimsContract } from "./store/claims.js";
import type { ContractContext } from "./store/context.js";
import { lifecycleContract } from "./store/lifecycle.js";
import { limitsContract } from "./store/limits.js";
import { meshInfoContract } from "./store/mesh-info.js";
import { stateContract } from "./store/state.js";
import { membersContract } from "./store/members.js";
import { messagesContract } from "./store/messages.js";
import { presencesContract } from "./store/presences.js";
import { redeliveryContract } from "./store/redelivery.js";
import { retentionContract } from "./store/retention.js";
import { memorySkillsContract } from "./store/memory-skills.js";
import { tasksContract } from "./store/tasks.js";
import { leasesContract } from "./store/leases.js";
import { auditContract } from "./store/audit.js";
import { topicsContract } from "./store/topics.js";
import { filesContract } from "./store/files.js";
import { invitesContract } from "./store/invites.js";
import { schedulesContract } from "./store/schedules.js";
import { ownedRowsContract } from "./store/owned-rows.js";

export { racingStoresContract, type SharedStores } from "./store/racing.js";

/** Registers the contract suite for one adapter. */
export function runStoreContract(
  name: string,
  makeStore: () => Promise<Store>,
  cleanup?: (store: Store) => Promise<void>,
): void {
  describe(`store contract: ${name}`, () => {
    let current: Store | null = null;
    const ctx: ContractContext = {
      store() {
        if (!current) throw new Error("store contract: no store (used outside a test?)");
        return current;
      },
    };

    beforeEach(async () => {
      current = await makeStore();
      await current.migrate();
    });

    afterEach(async () => {
      const store = current;
      current = null;
      if (!store) return;
      await store.close();
      await cleanup?.(store);
    });

    lifecycleContract(ctx);
    membersContract(ctx);
    invitesContract(ctx);
    limitsContract(ctx);
    presencesContract(ctx);
    messagesContract(ctx);
    claimsContract(ctx);
    acksContract(ctx);
    redeliveryContract(ctx);
    retentionContract(ctx);
    meshInfoContract(ctx);
    stateContract(ctx);
    memorySkillsContract(ctx);
    tasksContract(ctx);
    leasesContract(ctx);
    auditContract(ctx);
    topicsContract(ctx);
    filesContract(ctx);
    schedulesContract(ctx);
    ownedRowsContract(ctx);
  });
}
