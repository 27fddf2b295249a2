/**
 * A test switch for storage faults, applied where the broker opens its store. While the file named by
 * {@link STORE_FAULT_FILE_ENV} exists:
 * - empty (or any other content): `ping()` fails as if the database were down;
 * - containing `writes`: every method that writes fails with `SQLITE_FULL`, as on a full disk, while
 *   reads and `ping()` still answer.
 * Unset (the normal case) the store is returned as it is.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Store } from "./port/index.js";

export const STORE_FAULT_FILE_ENV = "CLAUDEMESH_STORE_FAULT_FILE";

/** The store methods that write (a full disk fails these; reads go on). */
const WRITE_METHODS: ReadonlySet<string> = new Set<keyof Store>([
  "probeWrite",
  "checkpoint",
  "createMesh",
  "setMemberRevoked",
  "saveMemberState",
  "recordSessionKey",
  "insertInvite",
  "claimInvite",
  "revokeInvite",
  "recordSignature",
  "takeTokens",
  "upsertPresence",
  "updatePresence",
  "touchPresences",
  "markPresenceDisconnected",
  "disconnectNodePresences",
  "acceptMessages",
  "claimDeliveries",
  "markPresenceClaimsDelivered",
  "releaseClaims",
  "resetBackoff",
  "ackDeliveries",
  "markDelivered",
  "retargetSessionDeliveries",
  "revokeDeliveries",
  "sweep",
  "appendAudit",
  "writeBlob",
  "createFile",
  "putFileKey",
  "deleteFile",
  "expireFiles",
  "deleteOrphanBlobs",
]);

type FaultMode = "none" | "down" | "writes";

function faultMode(faultFile: string): FaultMode {
  if (!existsSync(faultFile)) return "none";
  try {
    return readFileSync(faultFile, "utf8").trim() === "writes" ? "writes" : "down";
  } catch {
    // Removed between the two calls: no fault.
    return "none";
  }
}

/** What better-sqlite3 throws when the disk is full. */
function diskFull(faultFile: string): Error {
  return Object.assign(
    new Error(`database or disk is full (store fault injected: ${faultFile} says "writes")`),
    { code: "SQLITE_FULL" },
  );
}

export function withFaultSwitch(store: Store, faultFile: string | undefined): Store {
  if (!faultFile) return store;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (prop === "ping") {
        return async () => {
          if (faultMode(faultFile) === "down")
            throw new Error(`store fault injected: ${faultFile} exists (${STORE_FAULT_FILE_ENV})`);
          await target.ping();
        };
      }
      if (typeof prop !== "string" || !WRITE_METHODS.has(prop)) return value;
      return async (...args: unknown[]): Promise<unknown> => {
        if (faultMode(faultFile) === "writes") throw diskFull(faultFile);
        return (await Reflect.apply(value, target, args)) as unknown;
      };
    },
  });
}
