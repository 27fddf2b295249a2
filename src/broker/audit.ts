/**
 * The audit log's write side (protocol.md §6.9b): a change and the entries recording it commit in one
 * store transaction, or neither does.
 */
import { sha256Hex } from "../crypto/index.js";
import type { AuditAction } from "../protocol/index.js";
import type { BrokerContext } from "./context.js";
import type { NewAuditEntry } from "./store/port/index.js";

export interface AuditActor {
  actorPubkey: string;
  actorName: string;
}

/** The actor of entries the broker makes on its own (lease expiry). */
export const BROKER_ACTOR: AuditActor = { actorPubkey: "", actorName: "broker" };

export function auditEntry(
  meshId: string,
  actor: AuditActor,
  action: AuditAction,
  target: string,
  at = Date.now(),
): NewAuditEntry {
  return { meshId, at, actorPubkey: actor.actorPubkey, actorName: actor.actorName, action, target };
}

/** An invite as the log names it: a hash prefix of its code, never the code itself. */
export function inviteTarget(code: string): string {
  return `invite:${sha256Hex(code).slice(0, 16)}`;
}

/**
 * Runs `change` and appends the entries `record` makes of its result, in one store transaction. Entries
 * are appended in mesh order so transactions touching several meshes take the per-mesh locks in one order.
 */
export async function withAudit<T>(
  ctx: Pick<BrokerContext, "store">,
  change: () => Promise<T>,
  record: (result: T) => readonly NewAuditEntry[],
): Promise<T> {
  return ctx.store.transaction(async () => {
    const result = await change();
    const entries = [...record(result)].sort((a, b) =>
      a.meshId < b.meshId ? -1 : a.meshId > b.meshId ? 1 : 0,
    );
    for (const entry of entries) await ctx.store.appendAudit(entry);
    return result;
  });
}

/** Appends entries recording something that changed nothing in the store (a kick, a disconnect). */
export async function appendAudit(
  ctx: Pick<BrokerContext, "store">,
  entries: readonly NewAuditEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await withAudit(
    ctx,
    async () => undefined,
    () => entries,
  );
}
