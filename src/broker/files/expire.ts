/**
 * The files step of the retention sweep (protocol.md §6.6, §8): non-persistent files past their expiry
 * lose their metadata first (so no node serves them from then on), then their bytes; bytes a crash left
 * without a file go too.
 */
import type { BrokerContext } from "../context.js";

/**
 * Bytes with no file this much older than their last write are leftovers of a crash mid-upload or
 * mid-delete. Far longer than any upload of 50 MiB takes.
 */
const ORPHAN_AGE_MS = 24 * 3_600_000;

export async function expireFiles(
  ctx: Pick<BrokerContext, "store" | "log">,
  now: number,
  batch: number,
  stopped: () => boolean,
): Promise<number> {
  let expired = 0;
  for (;;) {
    const ids = await ctx.store.expireFiles(now, batch);
    for (const id of ids) await ctx.store.deleteBlob(id);
    expired += ids.length;
    if (ids.length < batch || stopped()) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const orphans = await ctx.store.deleteOrphanBlobs(now - ORPHAN_AGE_MS, batch);
  if (expired > 0 || orphans > 0) ctx.log.info({ expired, orphans }, "expired files deleted");
  return expired;
}
