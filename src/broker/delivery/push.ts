/** The one `push` shape for every path (protocol.md §4.8). */
import type { ClaimedDelivery } from "../store/port/index.js";

export function pushJson(d: ClaimedDelivery, senderMemberPubkey: string, topic?: string): string {
  const m = d.message;
  const push: Record<string, unknown> = {
    type: "push",
    messageId: m.id,
    meshId: m.meshId,
    senderPubkey: m.senderPubkey,
    senderMemberPubkey,
    senderMemberId: m.senderMemberId,
    senderName: m.senderName,
    priority: m.priority,
    nonce: m.nonce,
    ciphertext: m.ciphertext,
    createdAt: new Date(m.createdAt).toISOString(),
    targetSpec: m.targetSpec,
    recipientPubkey: d.recipientPubkey,
  };
  if (m.replyToId !== null) push.replyToId = m.replyToId;
  if (m.clientMessageId !== null) push.client_message_id = m.clientMessageId;
  if (m.requestFingerprint !== null) push.request_fingerprint = m.requestFingerprint;
  if (m.bodyVersion !== null) push.bodyVersion = m.bodyVersion;
  if (m.topicId !== null) push.topicId = m.topicId;
  if (topic !== undefined) push.topic = topic;
  if (m.subtype) push.subtype = m.subtype;
  return JSON.stringify(push);
}
