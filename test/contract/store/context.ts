import type { Store } from "../../../src/broker/store/port/index.js";

/** What each group of the contract suite gets: the fresh, migrated store of the running test. */
export interface ContractContext {
  store(): Store;
}
