/**
 * Recipient resolution at accept time (protocol.md §4.2) with the sender-exclusion rules. What this node
 * holds answers first; in a cluster, a presence it does not hold is looked up in the store (§4.14).
 */
import { groupMatches, parseTarget, type GroupRef } from "../../protocol/index.js";
import type { BrokerContext } from "../context.js";
import { canClaim, type MessageSender } from "../presence/presence.js";
import type { MemberRow, NewDelivery, PresenceRow } from "../store/port/index.js";

export type Resolution =
  | { ok: true; deliveries: NewDelivery[]; multicast: boolean; topicId?: string }
  | { ok: false; code: "no_recipient" | "invalid" | "forbidden"; detail: string };

/**
 * Session presences held by other nodes, looked up once per key for a whole accept batch: resolving a
 * DM and telling whether its recipient is online ask for the same row.
 */
export class SessionLookups {
  readonly #found = new Map<string, Promise<PresenceRow | null>>();

  constructor(private readonly ctx: BrokerContext) {}

  bySession(meshId: string, sessionPubkey: string): Promise<PresenceRow | null> {
    const key = `${meshId}\n${sessionPubkey}`;
    let found = this.#found.get(key);
    if (!found) {
      found = this.ctx.store.presenceBySession(meshId, sessionPubkey);
      this.#found.set(key, found);
    }
    return found;
  }
}

export async function resolveRecipients(
  ctx: BrokerContext,
  sessions: SessionLookups,
  sender: MessageSender,
  targetSpec: string,
  replyToId?: string,
): Promise<Resolution> {
  const parsed = parseTarget(targetSpec);
  if (!parsed.ok) {
    return parsed.reason === "invalid"
      ? { ok: false, code: "invalid", detail: "targetSpec: malformed group or topic name" }
      : { ok: false, code: "no_recipient", detail: "" };
  }
  const target = parsed.target;
  switch (target.kind) {
    case "key":
      return resolveKey(ctx, sessions, sender, target.pubkey);
    case "broadcast": {
      const members = await ctx.members.active(sender.meshId);
      return multicast(members.filter((m) => m.id !== sender.memberId));
    }
    case "group": {
      const members = (await ctx.members.active(sender.meshId)).filter((m) => m.id !== sender.memberId);
      const groups = await groupSets(ctx, sender.meshId, members);
      return multicast(
        members.filter((m) => groups.get(m.id)!.some((g) => groupMatches(g.name, target.name))),
      );
    }
    case "topic":
      return resolveTopic(ctx, sender, target.topic, replyToId);
  }
}

/**
 * `#<topicId>` (or a name): every member of the topic but the sender's member. An existing topic is never
 * `no_recipient`, even with no other member; private and dm topics take posts only from their members; a
 * reply must answer a message of the same topic.
 */
async function resolveTopic(
  ctx: BrokerContext,
  sender: MessageSender,
  ref: string,
  replyToId: string | undefined,
): Promise<Resolution> {
  const topic = await ctx.store.findTopic(sender.meshId, ref);
  if (!topic) return { ok: false, code: "no_recipient", detail: "" };
  const members = await ctx.store.listTopicMembers(topic.id);
  if (topic.visibility !== "public" && !members.some((m) => m.memberId === sender.memberId)) {
    return { ok: false, code: "forbidden", detail: `only members of topic ${topic.name} can post to it` };
  }
  if (replyToId !== undefined && !(await ctx.store.isTopicMessage(topic.id, replyToId))) {
    return { ok: false, code: "invalid", detail: `replyToId: not a message of topic ${topic.name}` };
  }
  const others = members.filter((m) => m.memberId !== sender.memberId);
  return {
    ok: true,
    multicast: true,
    topicId: topic.id,
    deliveries: others.map((m) => ({
      recipientKind: "member" as const,
      recipientMemberId: m.memberId,
      recipientPubkey: m.pubkey,
      excludedPresence: null,
    })),
  };
}

async function resolveKey(
  ctx: BrokerContext,
  sessions: SessionLookups,
  sender: MessageSender,
  key: string,
): Promise<Resolution> {
  const excluded = sender.id;
  const one = (recipientKind: "session" | "member", recipientMemberId: string): Resolution => ({
    ok: true,
    multicast: false,
    deliveries: [{ recipientKind, recipientMemberId, recipientPubkey: key, excludedPresence: excluded }],
  });
  // Cheapest first: sessions held here and members (cached) answer from memory; only a key that is
  // neither asks the store for a live session on another node. Member and session keys never coincide.
  const here = ctx.registry.bySession(sender.meshId, key);
  if (here) return one("session", here.memberId);
  const member = await ctx.members.byPubkey(sender.meshId, key);
  if (member) return one("member", member.id);
  const elsewhere = ctx.cluster.shared ? await sessions.bySession(sender.meshId, key) : null;
  if (elsewhere) return one("session", elsewhere.memberId);
  const owner = await ctx.store.findSessionKeyOwner(sender.meshId, key);
  if (owner && (await ctx.members.byId(sender.meshId, owner))) return one("member", owner);
  return { ok: false, code: "no_recipient", detail: "" };
}

function multicast(members: MemberRow[]): Resolution {
  return {
    ok: true,
    multicast: true,
    deliveries: members.map((m) => ({
      recipientKind: "member" as const,
      recipientMemberId: m.id,
      recipientPubkey: m.pubkey,
      excludedPresence: null,
    })),
  };
}

/**
 * Each member's group set for routing (§3.4): its live presences' groups (on any node), else saved, else
 * defaults.
 */
async function groupSets(
  ctx: BrokerContext,
  meshId: string,
  members: readonly MemberRow[],
): Promise<Map<string, GroupRef[]>> {
  const live = new Map<string, GroupRef[]>();
  const elsewhere: string[] = [];
  for (const m of members) {
    const held = ctx.registry.ofMember(m.id);
    if (held.length > 0)
      live.set(
        m.id,
        held.flatMap((p) => p.groups),
      );
    else elsewhere.push(m.id);
  }
  if (ctx.cluster.shared && elsewhere.length > 0) {
    for (const row of await ctx.store.presencesOfMembers(meshId, elsewhere)) {
      live.set(row.memberId, [...(live.get(row.memberId) ?? []), ...row.groups]);
    }
  }
  return new Map(members.map((m) => [m.id, live.get(m.id) ?? m.saved?.groups ?? m.defaultGroups] as const));
}

/**
 * For each send of a batch, whether a presence could claim one of its deliveries now
 * (`ack.recipientOnline`): one held here that can claim, or, in a cluster, an online one held by another
 * node — asked of the store once per mesh for the whole batch, not once per send.
 */
export async function recipientsOnline(
  ctx: BrokerContext,
  sessions: SessionLookups,
  sends: ReadonlyArray<{ sender: MessageSender; deliveries: readonly NewDelivery[] }>,
): Promise<boolean[]> {
  const online = sends.map(({ sender, deliveries }) =>
    deliveries.some((d) => hasClaimerHere(ctx, sender, d)),
  );
  if (!ctx.cluster.shared) return online;
  const inDoubt = new Map<string, Set<string>>();
  for (const [i, { sender, deliveries }] of sends.entries()) {
    if (online[i]) continue;
    const members = inDoubt.get(sender.meshId) ?? new Set<string>();
    for (const d of deliveries) if (d.recipientKind === "member") members.add(d.recipientMemberId);
    inDoubt.set(sender.meshId, members);
  }
  const heldElsewhere = new Map<string, PresenceRow[]>();
  for (const [meshId, members] of inDoubt) {
    if (members.size === 0) continue;
    for (const row of await ctx.store.presencesOfMembers(meshId, [...members])) {
      heldElsewhere.set(row.memberId, [...(heldElsewhere.get(row.memberId) ?? []), row]);
    }
  }
  const claimable = (row: PresenceRow | null, excluded: string | null) =>
    row !== null && row.lease === "online" && row.nodeId !== ctx.nodeId && row.id !== excluded;
  for (const [i, { sender, deliveries }] of sends.entries()) {
    if (online[i]) continue;
    for (const d of deliveries) {
      const found =
        d.recipientKind === "session"
          ? claimable(await sessions.bySession(sender.meshId, d.recipientPubkey), sender.id)
          : (heldElsewhere.get(d.recipientMemberId) ?? []).some((row) => claimable(row, d.excludedPresence));
      if (found) {
        online[i] = true;
        break;
      }
    }
  }
  return online;
}

function hasClaimerHere(ctx: BrokerContext, sender: MessageSender, d: NewDelivery): boolean {
  if (d.recipientKind === "session") {
    const p = ctx.registry.bySession(sender.meshId, d.recipientPubkey);
    return p !== undefined && canClaim(p) && p !== sender;
  }
  return ctx.registry
    .ofMember(d.recipientMemberId)
    .some((p) => canClaim(p) && !p.capabilities.has("no_inbox") && p.id !== d.excludedPresence);
}
