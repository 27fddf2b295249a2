import type { TopicRole, TopicVisibility } from "../../../protocol/index.js";
import type {
  PendingSealRow,
  TopicKeyCopy,
  TopicListRow,
  TopicMemberRow,
  TopicRow,
  TopicStore,
} from "../port/index.js";
import type { SqliteContext } from "./db.js";
import { messageColumns, toMessage, type MessageDbRow } from "./message-row.js";

interface TopicDbRow {
  id: string;
  mesh_id: string;
  name: string;
  description: string;
  visibility: TopicVisibility;
  created_by_member_id: string | null;
  created_at: number;
  key_id: string | null;
}

interface TopicListDbRow extends TopicDbRow {
  member_count: number;
  joined: number;
  unread: number;
}

interface MemberDbRow {
  topic_id: string;
  member_id: string;
  pubkey: string;
  display_name: string;
  role: TopicRole;
  joined_at: number;
  last_read_at: number | null;
  has_key: number;
}

interface KeyDbRow {
  topic_id: string;
  member_id: string;
  key_id: string;
  sealed_key: string;
  sealed_by: string;
  seal_sig: string;
  created_at: number;
}

function toTopic(r: TopicDbRow): TopicRow {
  return {
    id: r.id,
    meshId: r.mesh_id,
    name: r.name,
    description: r.description,
    visibility: r.visibility,
    createdByMemberId: r.created_by_member_id,
    createdAt: r.created_at,
    keyId: r.key_id,
  };
}

function toMember(r: MemberDbRow): TopicMemberRow {
  return {
    topicId: r.topic_id,
    memberId: r.member_id,
    pubkey: r.pubkey,
    displayName: r.display_name,
    role: r.role,
    joinedAt: r.joined_at,
    lastReadAt: r.last_read_at,
    hasKey: r.has_key === 1,
  };
}

function toCopy(r: KeyDbRow): TopicKeyCopy {
  return {
    topicId: r.topic_id,
    memberId: r.member_id,
    keyId: r.key_id,
    sealedKey: r.sealed_key,
    sealedBy: r.sealed_by,
    sealSig: r.seal_sig,
    createdAt: r.created_at,
  };
}

function copyParams(c: TopicKeyCopy) {
  return {
    topicId: c.topicId,
    memberId: c.memberId,
    keyId: c.keyId,
    sealedKey: c.sealedKey,
    sealedBy: c.sealedBy,
    sealSig: c.sealSig,
    createdAt: c.createdAt,
  };
}

const MEMBER_COLUMNS = `tm.topic_id, tm.member_id, m.pubkey, m.display_name, tm.role, tm.joined_at, tm.last_read_at,
  EXISTS (SELECT 1 FROM topic_keys k WHERE k.topic_id = tm.topic_id AND k.member_id = tm.member_id) AS has_key`;

/** Topics and topic keys (protocol.md §6.4, §5.4). */
export function topicMethods(ctx: SqliteContext): TopicStore {
  const q = ctx.statements((db) => ({
    insert: db.prepare(
      `INSERT INTO topics (id, mesh_id, name, description, visibility, created_by_member_id, created_at, key_id)
       VALUES (@id, @meshId, @name, @description, @visibility, @createdByMemberId, @createdAt, @keyId)
       ON CONFLICT (mesh_id, name) DO NOTHING`,
    ),
    byId: db.prepare<[string, string], TopicDbRow>("SELECT * FROM topics WHERE mesh_id = ? AND id = ?"),
    byName: db.prepare<[string, string], TopicDbRow>("SELECT * FROM topics WHERE mesh_id = ? AND name = ?"),
    list: db.prepare<{ meshId: string; memberId: string }, TopicListDbRow>(
      `SELECT t.*,
         (SELECT COUNT(*) FROM topic_members c JOIN members cm ON cm.id = c.member_id
           WHERE c.topic_id = t.id AND cm.revoked_at IS NULL) AS member_count,
         (me.member_id IS NOT NULL) AS joined,
         CASE WHEN me.member_id IS NULL THEN 0 ELSE
           (SELECT COUNT(*) FROM messages msg WHERE msg.topic_id = t.id AND msg.sender_member_id <> @memberId
             AND msg.created_at > COALESCE(me.last_read_at, -1)) END AS unread
       FROM topics t LEFT JOIN topic_members me ON me.topic_id = t.id AND me.member_id = @memberId
       WHERE t.mesh_id = @meshId AND (t.visibility = 'public' OR me.member_id IS NOT NULL)
       ORDER BY t.name`,
    ),
    addMember: db.prepare(
      `INSERT INTO topic_members (topic_id, member_id, role, joined_at, last_read_at)
       VALUES (?, ?, ?, ?, NULL) ON CONFLICT (topic_id, member_id) DO NOTHING`,
    ),
    removeMember: db.prepare("DELETE FROM topic_members WHERE topic_id = ? AND member_id = ?"),
    member: db.prepare<[string, string], MemberDbRow>(
      `SELECT ${MEMBER_COLUMNS} FROM topic_members tm JOIN members m ON m.id = tm.member_id
       WHERE tm.topic_id = ? AND tm.member_id = ?`,
    ),
    members: db.prepare<[string], MemberDbRow>(
      `SELECT ${MEMBER_COLUMNS} FROM topic_members tm JOIN members m ON m.id = tm.member_id
       WHERE tm.topic_id = ? AND m.revoked_at IS NULL ORDER BY tm.joined_at, tm.member_id`,
    ),
    markRead: db.prepare("UPDATE topic_members SET last_read_at = ? WHERE topic_id = ? AND member_id = ?"),
    history: db.prepare<{ topicId: string; limit: number; beforeId: string | null }, MessageDbRow>(
      `SELECT ${messageColumns()} FROM messages
       WHERE topic_id = @topicId
         AND (@beforeId IS NULL OR seq < (SELECT b.seq FROM messages b WHERE b.id = @beforeId AND b.topic_id = @topicId))
       ORDER BY seq DESC LIMIT @limit`,
    ),
    inTopic: db.prepare<[string, string], { one: number }>(
      "SELECT 1 AS one FROM messages WHERE id = ? AND topic_id = ?",
    ),
    setKey: db.prepare("UPDATE topics SET key_id = ? WHERE id = ? AND key_id IS NULL"),
    keyOf: db.prepare<[string], { key_id: string | null }>("SELECT key_id FROM topics WHERE id = ?"),
    putCopy: db.prepare(
      `INSERT INTO topic_keys (topic_id, member_id, key_id, sealed_key, sealed_by, seal_sig, created_at)
       VALUES (@topicId, @memberId, @keyId, @sealedKey, @sealedBy, @sealSig, @createdAt)
       ON CONFLICT (topic_id, member_id) DO NOTHING`,
    ),
    copy: db.prepare<[string, string], KeyDbRow>(
      "SELECT * FROM topic_keys WHERE topic_id = ? AND member_id = ?",
    ),
    holders: db.prepare<[string], { member_id: string }>(
      "SELECT member_id FROM topic_keys WHERE topic_id = ? ORDER BY member_id",
    ),
    pending: db.prepare<{ meshId: string; holder: string; topicId: string | null }, PendingSealDbRow>(
      `SELECT t.id AS topic_id, t.name AS topic, t.key_id, m.id AS member_id, m.pubkey AS member_pubkey
       FROM topics t
       JOIN topic_keys mine ON mine.topic_id = t.id AND mine.member_id = @holder
       JOIN topic_members tm ON tm.topic_id = t.id
       JOIN members m ON m.id = tm.member_id AND m.revoked_at IS NULL
       WHERE t.mesh_id = @meshId AND t.key_id IS NOT NULL AND (@topicId IS NULL OR t.id = @topicId)
         AND NOT EXISTS (SELECT 1 FROM topic_keys k WHERE k.topic_id = t.id AND k.member_id = tm.member_id)
       ORDER BY t.name, tm.joined_at, m.id`,
    ),
  }));

  return {
    async createTopic(topic, lead, leadCopy) {
      return ctx.atomic(() => {
        const s = q();
        const inserted = s.insert.run(topic).changes === 1;
        if (!inserted) {
          const existing = s.byName.get(topic.meshId, topic.name);
          if (!existing) throw new Error(`topic ${topic.name} vanished while being created`);
          return { topic: toTopic(existing), created: false };
        }
        if (lead) s.addMember.run(topic.id, lead.memberId, "lead", lead.joinedAt);
        if (leadCopy && topic.keyId !== null) s.putCopy.run(copyParams(leadCopy));
        return { topic, created: true };
      })();
    },
    async findTopic(meshId, idOrName) {
      const s = q();
      const row = s.byId.get(meshId, idOrName) ?? s.byName.get(meshId, idOrName);
      return row ? toTopic(row) : null;
    },
    async listTopics(meshId, memberId) {
      return q()
        .list.all({ meshId, memberId })
        .map((r): TopicListRow => ({
          ...toTopic(r),
          memberCount: r.member_count,
          joined: r.joined === 1,
          unread: r.unread,
        }));
    },
    async addTopicMember(topicId, memberId, role, joinedAt) {
      return q().addMember.run(topicId, memberId, role, joinedAt).changes === 1;
    },
    async removeTopicMember(topicId, memberId) {
      return q().removeMember.run(topicId, memberId).changes === 1;
    },
    async getTopicMember(topicId, memberId) {
      const row = q().member.get(topicId, memberId);
      return row ? toMember(row) : null;
    },
    async listTopicMembers(topicId) {
      return q().members.all(topicId).map(toMember);
    },
    async markTopicRead(topicId, memberId, at) {
      return q().markRead.run(at, topicId, memberId).changes === 1;
    },
    async topicHistory(topicId, limit, beforeId) {
      return q().history.all({ topicId, limit, beforeId }).map(toMessage);
    },
    async isTopicMessage(topicId, messageId) {
      return q().inTopic.get(messageId, topicId) !== undefined;
    },
    async claimTopicKey(copy) {
      return ctx.atomic(() => {
        const s = q();
        if (s.setKey.run(copy.keyId, copy.topicId).changes === 1) {
          s.putCopy.run(copyParams(copy));
          return { won: true as const };
        }
        const row = s.keyOf.get(copy.topicId);
        return { won: false as const, keyId: row?.key_id ?? "" };
      })();
    },
    async getTopicKeyCopy(topicId, memberId) {
      const row = q().copy.get(topicId, memberId);
      return row ? toCopy(row) : null;
    },
    async putTopicKeyCopy(copy) {
      return q().putCopy.run(copyParams(copy)).changes === 1;
    },
    async topicKeyHolders(topicId) {
      return q()
        .holders.all(topicId)
        .map((r) => r.member_id);
    },
    async pendingSeals(meshId, holderMemberId, topicId) {
      return q()
        .pending.all({ meshId, holder: holderMemberId, topicId })
        .map((r): PendingSealRow => ({
          topicId: r.topic_id,
          topic: r.topic,
          keyId: r.key_id,
          memberId: r.member_id,
          memberPubkey: r.member_pubkey,
        }));
    },
  };
}

interface PendingSealDbRow {
  topic_id: string;
  topic: string;
  key_id: string;
  member_id: string;
  member_pubkey: string;
}
