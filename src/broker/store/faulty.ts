/**
 * A test switch for readiness checks, applied where the broker opens its store: while the file named by
 * {@link STORE_FAULT_FILE_ENV} exists, `ping()` fails as if the database were down. Unset (the normal
 * case) the store is returned as it is.
 */
import { existsSync } from "node:fs";
import type { Store } from "./port/index.js";

export const STORE_FAULT_FILE_ENV = "CLAUDEMESH_STORE_FAULT_FILE";

export function withFaultSwitch(store: Store, faultFile: string | undefined): Store {
  if (!faultFile) return store;
  return {
    // Adapters are plain objects of methods, so a copy with one method replaced keeps the rest working.
    ...store,
    async ping() {
      if (existsSync(faultFile))
        throw new Error(`store fault injected: ${faultFile} exists (${STORE_FAULT_FILE_ENV})`);
      await store.ping();
    },
  };
}
