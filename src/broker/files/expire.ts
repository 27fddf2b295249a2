/**
 * The files step of the retention sweep (protocol.md §6.6, §8): non-persistent files past their expiry
 * lose their metadata first (so no node serves them from then on), then their bytes.
 */
import type { BrokerContext } from "../context.js";

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
  if (expired > 0) ctx.log.info({ expired }, "expired files deleted");
  return expired;
}
