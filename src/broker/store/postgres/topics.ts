import type {
  PendingSealRow,
  TopicKeyCopy,
  TopicListRow,
  TopicMemberRow,
  TopicRow,
  TopicStore,
} from "../port/index.js";
import type { PgContext } from "./db.js";
import { MESSAGE_SELECT, toMessage, type MessageDbRow } from "./message-row.js";

const TOPIC_COLUMNS = `t.id, t.mesh_id, t.name, t.description, t.visibility, t.created_by_member_id, t.created_at,
  t.key_id`;
const MEMBER_COLUMNS = `tm.topic_id, tm.member_id, m.pubkey, m.display_name, tm.role, tm.joined_at, tm.last_read_at,
  EXISTS (SELECT 1 FROM topic_keys k WHERE k.topic_id = tm.topic_id AND k.member_id = tm.member_id) AS has_key`;
const KEY_COLUMNS = "topic_id, member_id, key_id, sealed_key, sealed_by, seal_sig, created_at";

/** Topics and topic keys (protocol.md §6.4, §5.4). */
export function topicMethods(ctx: PgContext): TopicStore {
  return {
    async createTopic(topic, lead, leadCopy) {
      return ctx.run(true, async (db) => {
        const inserted = await db`
          INSERT INTO topics (id, mesh_id, name, description, visibility, created_by_member_id, created_at, key_id)
          VALUES (${topic.id}, ${topic.meshId}, ${topic.name}, ${topic.description}, ${topic.visibility},
            ${topic.createdByMemberId}, ${topic.createdAt}, ${topic.keyId})
          ON CONFLICT (mesh_id, name) DO NOTHING`;
        if (inserted.count === 0) {
          const [existing] = await db<TopicRow[]>`
            SELECT ${db.unsafe(TOPIC_COLUMNS)} FROM topics t WHERE t.mesh_id = ${topic.meshId} AND t.name = ${topic.name}`;
          if (!existing) throw new Error(`topic ${topic.name} vanished while being created`);
          return { topic: existing, created: false };
        }
        if (lead) {
          await db`
            INSERT INTO topic_members (topic_id, member_id, role, joined_at)
            VALUES (${topic.id}, ${lead.memberId}, 'lead', ${lead.joinedAt})`;
        }
        if (leadCopy && topic.keyId !== null) await insertCopy(db, leadCopy);
        return { topic, created: true };
      });
    },
    async findTopic(meshId, idOrName) {
      const [row] = await ctx.run(
        false,
        (db) => db<TopicRow[]>`
          SELECT ${db.unsafe(TOPIC_COLUMNS)} FROM topics t
          WHERE t.mesh_id = ${meshId} AND (t.id = ${idOrName} OR t.name = ${idOrName})
          ORDER BY (t.id = ${idOrName}) DESC LIMIT 1`,
      );
      return row ?? null;
    },
    async listTopics(meshId, memberId) {
      return ctx.run(
        false,
        (db) => db<TopicListRow[]>`
          SELECT ${db.unsafe(TOPIC_COLUMNS)},
            (SELECT COUNT(*) FROM topic_members c JOIN members cm ON cm.id = c.member_id
              WHERE c.topic_id = t.id AND cm.revoked_at IS NULL)::int AS member_count,
            (me.member_id IS NOT NULL) AS joined,
            CASE WHEN me.member_id IS NULL THEN 0 ELSE
              (SELECT COUNT(*) FROM messages msg WHERE msg.topic_id = t.id AND msg.sender_member_id <> ${memberId}
                AND msg.created_at > COALESCE(me.last_read_at, -1)) END::int AS unread
          FROM topics t LEFT JOIN topic_members me ON me.topic_id = t.id AND me.member_id = ${memberId}
          WHERE t.mesh_id = ${meshId} AND (t.visibility = 'public' OR me.member_id IS NOT NULL)
          ORDER BY t.name`,
      );
    },
    async addTopicMember(topicId, memberId, role, joinedAt) {
      const r = await ctx.run(
        false,
        (db) => db`
          INSERT INTO topic_members (topic_id, member_id, role, joined_at)
          VALUES (${topicId}, ${memberId}, ${role}, ${joinedAt}) ON CONFLICT (topic_id, member_id) DO NOTHING`,
      );
      return r.count === 1;
    },
    async removeTopicMember(topicId, memberId) {
      const r = await ctx.run(
        false,
        (db) => db`DELETE FROM topic_members WHERE topic_id = ${topicId} AND member_id = ${memberId}`,
      );
      return r.count === 1;
    },
    async getTopicMember(topicId, memberId) {
      const [row] = await ctx.run(
        false,
        (db) => db<TopicMemberRow[]>`
          SELECT ${db.unsafe(MEMBER_COLUMNS)} FROM topic_members tm JOIN members m ON m.id = tm.member_id
          WHERE tm.topic_id = ${topicId} AND tm.member_id = ${memberId}`,
      );
      return row ?? null;
    },
    async listTopicMembers(topicId) {
      return ctx.run(
        false,
        (db) => db<TopicMemberRow[]>`
          SELECT ${db.unsafe(MEMBER_COLUMNS)} FROM topic_members tm JOIN members m ON m.id = tm.member_id
          WHERE tm.topic_id = ${topicId} AND m.revoked_at IS NULL ORDER BY tm.joined_at, tm.member_id`,
      );
    },
    async markTopicRead(topicId, memberId, at) {
      const r = await ctx.run(
        false,
        (db) => db`
          UPDATE topic_members SET last_read_at = ${at} WHERE topic_id = ${topicId} AND member_id = ${memberId}`,
      );
      return r.count === 1;
    },
    async topicHistory(topicId, limit, beforeId) {
      const rows = await ctx.run(
        false,
        (db) => db<MessageDbRow[]>`
          SELECT ${db.unsafe(MESSAGE_SELECT)} FROM messages m
          WHERE m.topic_id = ${topicId}
            AND (${beforeId}::text IS NULL OR m.seq < (
              SELECT b.seq FROM messages b WHERE b.id = ${beforeId}::text AND b.topic_id = ${topicId}))
          ORDER BY m.seq DESC LIMIT ${limit}`,
      );
      return rows.map(toMessage);
    },
    async isTopicMessage(topicId, messageId) {
      const rows = await ctx.run(
        false,
        (db) => db`SELECT 1 FROM messages WHERE id = ${messageId} AND topic_id = ${topicId}`,
      );
      return rows.length > 0;
    },
    async claimTopicKey(copy) {
      return ctx.run(true, async (db) => {
        // The compare-and-set: a concurrent claimer waits for the winner's row lock, re-checks
        // `key_id IS NULL` on the new row version and matches nothing.
        const set = await db`
          UPDATE topics SET key_id = ${copy.keyId} WHERE id = ${copy.topicId} AND key_id IS NULL`;
        if (set.count === 1) {
          await insertCopy(db, copy);
          return { won: true as const };
        }
        const [row] = await db<
          Array<{ keyId: string | null }>
        >`SELECT key_id FROM topics WHERE id = ${copy.topicId}`;
        return { won: false as const, keyId: row?.keyId ?? "" };
      });
    },
    async getTopicKeyCopy(topicId, memberId) {
      const [row] = await ctx.run(
        false,
        (db) => db<TopicKeyCopy[]>`
          SELECT ${db.unsafe(KEY_COLUMNS)} FROM topic_keys WHERE topic_id = ${topicId} AND member_id = ${memberId}`,
      );
      return row ?? null;
    },
    async putTopicKeyCopy(copy) {
      return ctx.run(false, async (db) => (await insertCopy(db, copy)) === 1);
    },
    async topicKeyHolders(topicId) {
      const rows = await ctx.run(
        false,
        (db) => db<Array<{ memberId: string }>>`
          SELECT member_id FROM topic_keys WHERE topic_id = ${topicId} ORDER BY member_id`,
      );
      return rows.map((r) => r.memberId);
    },
    async pendingSeals(meshId, holderMemberId, topicId) {
      return ctx.run(
        false,
        (db) => db<PendingSealRow[]>`
          SELECT t.id AS topic_id, t.name AS topic, t.key_id, m.id AS member_id, m.pubkey AS member_pubkey
          FROM topics t
          JOIN topic_keys mine ON mine.topic_id = t.id AND mine.member_id = ${holderMemberId}
          JOIN topic_members tm ON tm.topic_id = t.id
          JOIN members m ON m.id = tm.member_id AND m.revoked_at IS NULL
          WHERE t.mesh_id = ${meshId} AND t.key_id IS NOT NULL AND (${topicId}::text IS NULL OR t.id = ${topicId}::text)
            AND NOT EXISTS (SELECT 1 FROM topic_keys k WHERE k.topic_id = t.id AND k.member_id = tm.member_id)
          ORDER BY t.name, tm.joined_at, m.id`,
      );
    },
  };
}

type Db = Parameters<Parameters<PgContext["run"]>[1]>[0];

async function insertCopy(db: Db, c: TopicKeyCopy): Promise<number> {
  const r = await db`
    INSERT INTO topic_keys (topic_id, member_id, key_id, sealed_key, sealed_by, seal_sig, created_at)
    VALUES (${c.topicId}, ${c.memberId}, ${c.keyId}, ${c.sealedKey}, ${c.sealedBy}, ${c.sealSig}, ${c.createdAt})
    ON CONFLICT (topic_id, member_id) DO NOTHING`;
  return r.count;
}
