/**
 * Topic rules the handlers, the send path and the HTTP routes share (protocol.md §5.4, §6.4, §7.2-7.3):
 * the `general` topic every mesh has, and the topic-key system pushes.
 */
import { randomUUID } from "node:crypto";
import { Capability, GENERAL_TOPIC, type TopicRole } from "../protocol/index.js";
import type { BrokerContext } from "./context.js";
import { publishMeshPush } from "./mesh-push.js";
import type { TopicRow } from "./store/port/index.js";

/** A topic row for a new topic of `meshId`, keyless unless `keyId` is given. */
export function newTopicRow(
  meshId: string,
  name: string,
  fields: { description?: string; visibility?: TopicRow["visibility"]; createdByMemberId: string | null },
  now: number,
  keyId: string | null = null,
): TopicRow {
  return {
    id: randomUUID(),
    meshId,
    name,
    description: fields.description ?? "",
    visibility: fields.visibility ?? "public",
    createdByMemberId: fields.createdByMemberId,
    createdAt: now,
    keyId,
  };
}

/**
 * Makes sure the mesh's public `general` topic exists (keyless: the first member daemon to see it claims
 * its key) and that `memberId` is in it. Call inside the transaction that creates the mesh or the member.
 * Returns the topic and whether the member was added.
 */
export async function joinGeneral(
  ctx: Pick<BrokerContext, "store">,
  meshId: string,
  memberId: string,
  role: TopicRole,
  now: number,
): Promise<{ topic: TopicRow; added: boolean }> {
  const { topic } = await ctx.store.createTopic(
    newTopicRow(meshId, GENERAL_TOPIC, { createdByMemberId: memberId }, now),
    null,
    null,
  );
  const added = await ctx.store.addTopicMember(topic.id, memberId, role, now);
  return { topic, added };
}

/**
 * `topic_key_needed` (§5.4) to the online presences, on every node, of the members holding a copy of the
 * topic's key, when `memberPubkey` is a member without one. Only to presences with capability `topic_keys`.
 */
export async function announceKeyNeeded(
  ctx: BrokerContext,
  topic: TopicRow,
  memberId: string,
  memberPubkey: string,
): Promise<void> {
  if (topic.keyId === null) return;
  if (await ctx.store.getTopicKeyCopy(topic.id, memberId)) return;
  const holders = await ctx.store.topicKeyHolders(topic.id);
  if (holders.length === 0) return;
  publishMeshPush(ctx, {
    meshId: topic.meshId,
    event: "topic_key_needed",
    data: { topicId: topic.id, topic: topic.name, memberPubkey },
    members: holders,
    capability: Capability.topicKeys,
  });
}

/** `topic_key_available` (§5.4) to the presences of the member whose copy just arrived. */
export function announceKeyAvailable(ctx: BrokerContext, topic: TopicRow, memberId: string): void {
  publishMeshPush(ctx, {
    meshId: topic.meshId,
    event: "topic_key_available",
    data: { topicId: topic.id, topic: topic.name },
    members: [memberId],
    capability: Capability.topicKeys,
  });
}
