/**
 * `backlog_sent` (protocol.md §4.6): a connection that declared the capability learns when the deliveries
 * that waited for it at its hello have all been pushed.
 */
import type { BacklogSentFrame } from "../../protocol/index.js";
import type { Presence } from "../presence/presence.js";
import type { ClaimedDelivery } from "../store/port/index.js";
import type { Outgoing } from "./outgoing.js";

const BACKLOG_SENT_JSON = JSON.stringify({ type: "backlog_sent" } satisfies BacklogSentFrame);

/**
 * Queues `backlog_sent` after this batch's pushes for each presence of `due` (still waiting for it when
 * the batch's claims began) that none of its claims filled to `batchLimit`: those took the last
 * deliveries pending since its hello. One that hit the limit is offered again, and a later claim sends
 * it. The presence stops waiting only if the batch commits.
 */
export function markBacklogsSent(
  due: readonly Presence[],
  claimers: readonly Presence[],
  claimed: readonly ClaimedDelivery[][],
  out: Outgoing,
  batchLimit: number,
): void {
  for (const p of due) {
    const full = claimers.some((q, i) => q === p && (claimed[i]?.length ?? 0) >= batchLimit);
    if (full || !p.socket?.open) continue;
    out.push(p.socket, BACKLOG_SENT_JSON);
    out.onCommit(() => {
      p.backlogPending = false;
    });
  }
}
