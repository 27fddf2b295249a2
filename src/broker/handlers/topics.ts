/**
 * topics (protocol.md §6.4) and topic keys (§5.4). Posting is `send` to `#<topicId>` (delivery/recipients).
 * The broker stores sealed key copies and checks who may hold them; it never sees a topic key.
 */
import { verify } from "../../crypto/index.js";
import { topicSealCanonical } from "../../protocol/canonical.js";
import {
  ErrorCode,
  TOPIC_HISTORY_DEFAULT,
  type ClientFrame,
  type TopicEntry,
  type TopicHistoryEntry,
  type TopicMemberEntry,
} from "../../protocol/index.js";
import { auditEntry, withAudit, type AuditActor } from "../audit.js";
import type { BrokerContext } from "../context.js";
import type { Presence } from "../presence/presence.js";
import { withinRowQuota } from "../row-quota.js";
import type { MessageRow, TopicListRow, TopicMemberRow, TopicRow } from "../store/port/index.js";
import { announceKeyAvailable, announceKeyNeeded, newTopicRow } from "../topics.js";
import type { HandlerArgs, HandlerTable } from "./types.js";

type TopicHandlers = Pick<
  HandlerTable,
  | "topic_create"
  | "topic_list"
  | "topic_join"
  | "topic_leave"
  | "topic_members"
  | "topic_history"
  | "topic_mark_read"
  | "topic_key_claim"
  | "topic_key_get"
  | "topic_pending_seals"
  | "topic_key_seal"
>;

function actor(p: Presence): AuditActor {
  return { actorPubkey: p.memberPubkey, actorName: p.displayName };
}

function isAdmin(p: Presence): boolean {
  return p.memberRole === "owner" || p.memberRole === "admin";
}

const iso = (ms: number) => new Date(ms).toISOString();

function toEntry(t: TopicListRow): TopicEntry {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    visibility: t.visibility,
    memberCount: t.memberCount,
    createdAt: iso(t.createdAt),
    joined: t.joined,
    unread: t.unread,
    keyId: t.keyId,
  };
}

function toMemberEntry(m: TopicMemberRow): TopicMemberEntry {
  return {
    memberId: m.memberId,
    pubkey: m.pubkey,
    displayName: m.displayName,
    role: m.role,
    joinedAt: iso(m.joinedAt),
    lastReadAt: m.lastReadAt === null ? null : iso(m.lastReadAt),
    hasKey: m.hasKey,
  };
}

type TopicRequest = Extract<ClientFrame, { topic: string }>;

/**
 * The topic a request names (id or name) in the caller's mesh, or null after answering `topic_not_found`.
 * With `membersOnly`, private and dm topics also need the caller's member in them (else `forbidden`).
 */
async function topicOf(
  { ctx, conn, presence }: HandlerArgs,
  frame: TopicRequest,
  access: "any" | "membersOnly" | "member",
): Promise<TopicRow | null> {
  const topic = await ctx.store.findTopic(presence.meshId, frame.topic);
  if (!topic) {
    conn.error(frame, ErrorCode.topicNotFound, `no topic ${frame.topic} in this mesh`);
    return null;
  }
  if (access === "any") return topic;
  if (access === "membersOnly" && topic.visibility === "public") return topic;
  if (await ctx.store.getTopicMember(topic.id, presence.memberId)) return topic;
  // A private topic is no more visible to a non-member than a missing one.
  if (topic.visibility !== "public" && access === "membersOnly") {
    conn.error(frame, ErrorCode.forbidden, `only members of topic ${topic.name} can do that`);
    return null;
  }
  conn.error(frame, ErrorCode.forbidden, `you are not a member of topic ${topic.name}`);
  return null;
}

async function historyEntry(ctx: BrokerContext, m: MessageRow): Promise<TopicHistoryEntry> {
  const sender = await ctx.members.byId(m.meshId, m.senderMemberId);
  const entry: TopicHistoryEntry = {
    id: m.id,
    senderPubkey: m.senderPubkey,
    senderMemberId: m.senderMemberId,
    senderName: m.senderName,
    nonce: m.nonce,
    ciphertext: m.ciphertext,
    bodyVersion: m.bodyVersion,
    createdAt: iso(m.createdAt),
  };
  if (m.replyToId !== null) entry.replyToId = m.replyToId;
  if (sender) entry.senderMemberPubkey = sender.pubkey;
  return entry;
}

/** Whether `sealSig` is `sealedBy`'s signature over the copy (§5.4). */
function sealValid(
  meshId: string,
  topicId: string,
  recipientMemberPubkey: string,
  f: { keyId: string; sealedKey: string; sealSig: string },
  sealedBy: string,
): boolean {
  const canonical = topicSealCanonical({
    meshId,
    topicId,
    recipientMemberPubkey,
    keyId: f.keyId,
    sealedKey: f.sealedKey,
  });
  return verify(canonical, f.sealSig, sealedBy);
}

export const topicHandlers: TopicHandlers = {
  async topic_create(args, frame) {
    const { ctx, conn, presence } = args;
    const keyFields = [frame.keyId, frame.sealedKey, frame.sealSig].filter((f) => f !== undefined).length;
    if (keyFields !== 0 && keyFields !== 3) {
      conn.error(
        frame,
        ErrorCode.invalid,
        "keyId, sealedKey and sealSig go together: give all three or none",
      );
      return;
    }
    const now = Date.now();
    const row = newTopicRow(
      presence.meshId,
      frame.name,
      {
        visibility: frame.visibility ?? "public",
        createdByMemberId: presence.memberId,
        ...(frame.description === undefined ? {} : { description: frame.description }),
      },
      now,
      frame.keyId ?? null,
    );
    // The creator cannot sign over a topic id it does not know yet: its copy is checked by the members
    // who open it (§5.4). Our clients create keyless and then claim the key with a signed copy.
    const copy =
      frame.keyId !== undefined && frame.sealedKey !== undefined && frame.sealSig !== undefined
        ? {
            topicId: row.id,
            memberId: presence.memberId,
            keyId: frame.keyId,
            sealedKey: frame.sealedKey,
            sealedBy: presence.memberPubkey,
            sealSig: frame.sealSig,
            createdAt: now,
          }
        : null;
    const create = () =>
      withAudit(
        ctx,
        () => ctx.store.createTopic(row, { memberId: presence.memberId, joinedAt: now }, copy),
        (r) =>
          r.created ? [auditEntry(presence.meshId, actor(presence), "topic.created", r.topic.name, now)] : [],
      );
    // By name: creating a topic the mesh already has is answered with it and adds no row.
    const created = await withinRowQuota(args, frame, "topics", frame.name, create);
    if (!created) return;
    const result = created.value;
    const t = result.topic;
    conn.reply(frame, {
      type: "topic_created",
      topic: { id: t.id, name: t.name, visibility: t.visibility },
      created: result.created,
    });
  },

  async topic_list({ ctx, conn, presence }, frame) {
    const topics = await ctx.store.listTopics(presence.meshId, presence.memberId);
    conn.reply(frame, { type: "topic_list_response", topics: topics.map(toEntry) });
  },

  async topic_join(args, frame) {
    const { ctx, conn, presence } = args;
    const topic = await topicOf(args, frame, "any");
    if (!topic) return;
    const self = frame.member === undefined || frame.member === presence.memberPubkey;
    let memberId = presence.memberId;
    let memberPubkey = presence.memberPubkey;
    let role = frame.role ?? "member";
    if (self) {
      if (topic.visibility !== "public") {
        if (await ctx.store.getTopicMember(topic.id, presence.memberId)) return conn.ok(frame);
        conn.error(
          frame,
          ErrorCode.forbidden,
          `topic ${topic.name} is ${topic.visibility}: a lead or a mesh admin adds its members`,
        );
        return;
      }
      // Leading a topic is given, not taken.
      if (role === "lead") role = "member";
    } else {
      const me = await ctx.store.getTopicMember(topic.id, presence.memberId);
      if (me?.role !== "lead" && !isAdmin(presence)) {
        conn.error(
          frame,
          ErrorCode.forbidden,
          `only a lead of topic ${topic.name} or a mesh admin adds members`,
        );
        return;
      }
      const target = await ctx.members.byPubkey(presence.meshId, frame.member!);
      if (!target) {
        conn.error(frame, ErrorCode.notFound, `no member ${frame.member!.slice(0, 16)}… in this mesh`);
        return;
      }
      memberId = target.id;
      memberPubkey = target.pubkey;
    }
    const now = Date.now();
    const added = await withAudit(
      ctx,
      () => ctx.store.addTopicMember(topic.id, memberId, role, now),
      (yes) => (yes ? [auditEntry(presence.meshId, actor(presence), "topic.joined", topic.name, now)] : []),
    );
    conn.ok(frame);
    if (added) await announceKeyNeeded(ctx, topic, memberId, memberPubkey);
  },

  async topic_leave(args, frame) {
    const { ctx, conn, presence } = args;
    const topic = await topicOf(args, frame, "any");
    if (!topic) return;
    const now = Date.now();
    await withAudit(
      ctx,
      () => ctx.store.removeTopicMember(topic.id, presence.memberId),
      (left) => (left ? [auditEntry(presence.meshId, actor(presence), "topic.left", topic.name, now)] : []),
    );
    conn.ok(frame);
  },

  async topic_members(args, frame) {
    const topic = await topicOf(args, frame, "membersOnly");
    if (!topic) return;
    const members = await args.ctx.store.listTopicMembers(topic.id);
    args.conn.reply(frame, {
      type: "topic_members_response",
      topic: topic.name,
      members: members.map(toMemberEntry),
    });
  },

  async topic_history(args, frame) {
    const topic = await topicOf(args, frame, "membersOnly");
    if (!topic) return;
    const { ctx } = args;
    const rows = await ctx.store.topicHistory(
      topic.id,
      frame.limit ?? TOPIC_HISTORY_DEFAULT,
      frame.beforeId ?? null,
    );
    const messages = await Promise.all(rows.map((m) => historyEntry(ctx, m)));
    args.conn.reply(frame, {
      type: "topic_history_response",
      topic: topic.name,
      topicId: topic.id,
      messages,
    });
  },

  async topic_mark_read(args, frame) {
    const topic = await topicOf(args, frame, "member");
    if (!topic) return;
    await args.ctx.store.markTopicRead(topic.id, args.presence.memberId, Date.now());
    args.conn.ok(frame);
  },

  async topic_key_claim(args, frame) {
    const { ctx, conn, presence } = args;
    const topic = await topicOf(args, frame, "member");
    if (!topic) return;
    if (!sealValid(presence.meshId, topic.id, presence.memberPubkey, frame, presence.memberPubkey)) {
      conn.error(frame, ErrorCode.invalid, "sealSig is not your signature over this copy of the topic key");
      return;
    }
    const now = Date.now();
    const result = await withAudit(
      ctx,
      () =>
        ctx.store.claimTopicKey({
          topicId: topic.id,
          memberId: presence.memberId,
          keyId: frame.keyId,
          sealedKey: frame.sealedKey,
          sealedBy: presence.memberPubkey,
          sealSig: frame.sealSig,
          createdAt: now,
        }),
      (r) => (r.won ? [auditEntry(presence.meshId, actor(presence), "topic.key_set", topic.name, now)] : []),
    );
    if (!result.won) {
      conn.error(frame, ErrorCode.keyAlreadySet, `topic ${topic.name} already has key ${result.keyId}`);
      return;
    }
    conn.reply(frame, {
      type: "topic_key_claimed",
      topic: topic.name,
      topicId: topic.id,
      keyId: frame.keyId,
    });
  },

  async topic_key_get(args, frame) {
    const { ctx, conn, presence } = args;
    const topic = await topicOf(args, frame, "member");
    if (!topic) return;
    if (topic.keyId === null) {
      conn.error(frame, ErrorCode.topicUnencrypted, `topic ${topic.name} has no key yet`);
      return;
    }
    const copy = await ctx.store.getTopicKeyCopy(topic.id, presence.memberId);
    if (!copy) {
      conn.error(
        frame,
        ErrorCode.keyNotSealed,
        `no member holding the key of topic ${topic.name} has sealed a copy for you yet`,
      );
      return;
    }
    conn.reply(frame, {
      type: "topic_key",
      topic: topic.name,
      topicId: topic.id,
      keyId: copy.keyId,
      sealedKey: copy.sealedKey,
      sealedBy: copy.sealedBy,
      sealSig: copy.sealSig,
      createdAt: iso(copy.createdAt),
    });
  },

  async topic_pending_seals({ ctx, conn, presence }, frame) {
    let topicId: string | null = null;
    if (frame.topic !== undefined) {
      const topic = await ctx.store.findTopic(presence.meshId, frame.topic);
      if (!topic) {
        conn.error(frame, ErrorCode.topicNotFound, `no topic ${frame.topic} in this mesh`);
        return;
      }
      topicId = topic.id;
    }
    const rows = await ctx.store.pendingSeals(presence.meshId, presence.memberId, topicId);
    conn.reply(frame, {
      type: "topic_pending_seals_result",
      pending: rows.map((r) => ({
        topicId: r.topicId,
        topic: r.topic,
        memberId: r.memberId,
        memberPubkey: r.memberPubkey,
        keyId: r.keyId,
      })),
    });
  },

  async topic_key_seal(args, frame) {
    const { ctx, conn, presence } = args;
    const topic = await topicOf(args, frame, "any");
    if (!topic) return;
    const mine = await ctx.store.getTopicKeyCopy(topic.id, presence.memberId);
    if (!mine) {
      conn.error(frame, ErrorCode.forbidden, `you hold no copy of the key of topic ${topic.name}`);
      return;
    }
    if (frame.keyId !== topic.keyId) {
      conn.error(
        frame,
        ErrorCode.invalid,
        `keyId ${frame.keyId} is not the key of topic ${topic.name} (${topic.keyId})`,
      );
      return;
    }
    const target = await ctx.members.byPubkey(presence.meshId, frame.memberPubkey);
    const targetMember = target ? await ctx.store.getTopicMember(topic.id, target.id) : null;
    if (!target || !targetMember) {
      conn.error(frame, ErrorCode.forbidden, `that member is not in topic ${topic.name}`);
      return;
    }
    if (!sealValid(presence.meshId, topic.id, target.pubkey, frame, presence.memberPubkey)) {
      conn.error(frame, ErrorCode.invalid, "sealSig is not your signature over this copy of the topic key");
      return;
    }
    const now = Date.now();
    const stored = await withAudit(
      ctx,
      () =>
        ctx.store.putTopicKeyCopy({
          topicId: topic.id,
          memberId: target.id,
          keyId: frame.keyId,
          sealedKey: frame.sealedKey,
          sealedBy: presence.memberPubkey,
          sealSig: frame.sealSig,
          createdAt: now,
        }),
      (yes) =>
        yes ? [auditEntry(presence.meshId, actor(presence), "topic.key_sealed", topic.name, now)] : [],
    );
    if (!stored) {
      conn.error(
        frame,
        ErrorCode.forbidden,
        `${target.displayName} already holds the key of topic ${topic.name}`,
      );
      return;
    }
    conn.reply(frame, {
      type: "topic_key_seal_ack",
      topic: topic.name,
      topicId: topic.id,
      memberPubkey: target.pubkey,
    });
    announceKeyAvailable(ctx, topic, target.id);
  },
};
