/** `message_status` (protocol.md §4.11): per-recipient states of a message the caller's member sent. */
import type { MessageStatusResult } from "../../protocol/index.js";
import type { BrokerContext } from "../context.js";
import type { Presence } from "../presence/presence.js";

/** `message_status` for a message the caller's member sent (§4.11). */
export async function messageStatus(
  ctx: BrokerContext,
  p: Presence,
  idOrPrefix: string,
): Promise<MessageStatusResult | "not_found" | "ambiguous"> {
  const found = await ctx.store.lookupMessage(p.meshId, p.memberId, idOrPrefix);
  if (found.status !== "ok") return found.status;
  let deliveredAt: number | null = null;
  const recipients = [];
  // Every node answers alike: presences held elsewhere in a cluster are read from the store.
  const memberIds = [...new Set(found.deliveries.map((d) => d.recipientMemberId))];
  const elsewhere = ctx.cluster.shared
    ? (await ctx.store.presencesOfMembers(p.meshId, memberIds)).filter((r) => r.nodeId !== ctx.nodeId)
    : [];
  for (const d of found.deliveries) {
    const member = await ctx.members.byId(p.meshId, d.recipientMemberId);
    const session =
      d.recipientKind === "session"
        ? (ctx.registry.bySession(p.meshId, d.recipientPubkey) ??
          elsewhere.find((r) => r.sessionPubkey === d.recipientPubkey))
        : undefined;
    const online = [...ctx.registry.ofMember(d.recipientMemberId), ...elsewhere].some(
      (q) => q.memberId === d.recipientMemberId && q.lease === "online",
    );
    let status: "delivered" | "held" | "disconnected" | "expired";
    if (d.state === "delivered") status = "delivered";
    else if (d.state === "expired" || d.state === "cancelled") status = "expired";
    else status = online ? "held" : "disconnected";
    if (d.deliveredAt !== null && (deliveredAt === null || d.deliveredAt > deliveredAt))
      deliveredAt = d.deliveredAt;
    recipients.push({
      name: session?.displayName ?? member?.displayName ?? "",
      pubkey: d.recipientPubkey,
      status,
    });
  }
  return {
    type: "message_status_result",
    messageId: found.message.id,
    targetSpec: found.message.targetSpec,
    delivered: found.deliveries.length > 0 && found.deliveries.every((d) => d.state === "delivered"),
    deliveredAt: deliveredAt === null ? null : new Date(deliveredAt).toISOString(),
    recipients,
  };
}
