/** Recipient resolution at accept time (protocol.md §4.2) with the sender-exclusion rules. */
import { groupMatches, parseTarget, type GroupRef } from "../../protocol/index.js";
import type { BrokerContext } from "../context.js";
import type { Presence } from "../presence/presence.js";
import type { MemberRow, NewDelivery } from "../store/port/index.js";

export type Resolution =
  | { ok: true; deliveries: NewDelivery[]; multicast: boolean }
  | { ok: false; code: "no_recipient" | "invalid"; detail: string };

export async function resolveRecipients(
  ctx: BrokerContext,
  sender: Presence,
  targetSpec: string,
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
      return resolveKey(ctx, sender, target.pubkey);
    case "broadcast": {
      const members = await ctx.members.active(sender.meshId);
      return multicast(members.filter((m) => m.id !== sender.memberId));
    }
    case "group": {
      const members = await ctx.members.active(sender.meshId);
      const addressed = members.filter(
        (m) => m.id !== sender.memberId && groupSet(ctx, m).some((g) => groupMatches(g.name, target.name)),
      );
      return multicast(addressed);
    }
    case "topic":
      // Topics are not served by this broker yet: a topic target matches nothing.
      return { ok: false, code: "no_recipient", detail: "" };
  }
}

async function resolveKey(ctx: BrokerContext, sender: Presence, key: string): Promise<Resolution> {
  const excluded = sender.id;
  const live = ctx.registry.bySession(sender.meshId, key);
  if (live) {
    return {
      ok: true,
      multicast: false,
      deliveries: [
        {
          recipientKind: "session",
          recipientMemberId: live.memberId,
          recipientPubkey: key,
          excludedPresence: excluded,
        },
      ],
    };
  }
  const member = await ctx.members.byPubkey(sender.meshId, key);
  if (member) {
    return {
      ok: true,
      multicast: false,
      deliveries: [
        {
          recipientKind: "member",
          recipientMemberId: member.id,
          recipientPubkey: key,
          excludedPresence: excluded,
        },
      ],
    };
  }
  const owner = await ctx.store.findSessionKeyOwner(sender.meshId, key);
  if (owner && (await ctx.members.byId(sender.meshId, owner))) {
    return {
      ok: true,
      multicast: false,
      deliveries: [
        {
          recipientKind: "member",
          recipientMemberId: owner,
          recipientPubkey: key,
          excludedPresence: excluded,
        },
      ],
    };
  }
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

/** A member's group set for routing (§3.4): its live presences' groups, else saved, else defaults. */
function groupSet(ctx: BrokerContext, member: MemberRow): GroupRef[] {
  const live = ctx.registry.ofMember(member.id);
  if (live.length > 0) return live.flatMap((p) => p.groups);
  return member.saved?.groups ?? member.defaultGroups;
}
