import { z } from "zod";
import type { MemoryRow, MemoryStore } from "../port/index.js";
import type { PgContext } from "./db.js";
import { jsonb } from "./members.js";

const Tags = z.array(z.string());

interface MemoryDbRow {
  id: string;
  meshId: string;
  content: string;
  tags: unknown;
  memberId: string;
  rememberedBy: string;
  createdAt: number;
}

function toRow(row: MemoryDbRow): MemoryRow {
  return {
    id: row.id,
    meshId: row.meshId,
    content: row.content,
    tags: Tags.parse(row.tags),
    memberId: row.memberId,
    rememberedBy: row.rememberedBy,
    createdAt: row.createdAt,
  };
}

/**
 * The memory family (protocol.md §6.2) on PostgreSQL: an English `tsvector` for plaintext, a token table
 * for blind tokens.
 */
export function memoryMethods(ctx: PgContext): MemoryStore {
  return {
    async rememberMemory(m) {
      const tokens = [...new Set(m.searchTokens)];
      await ctx.run(true, async (db) => {
        await db`
          INSERT INTO memories (id, mesh_id, content, tags, member_id, remembered_by, created_at, search)
          VALUES (${m.id}, ${m.meshId}, ${m.content}, ${jsonb(db, m.tags)}, ${m.memberId}, ${m.rememberedBy},
                  ${m.createdAt}, CASE WHEN ${m.fullText} THEN to_tsvector('english', ${m.content}) END)`;
        if (tokens.length > 0) {
          await db`
            INSERT INTO memory_tokens (mesh_id, token, memory_id)
            SELECT ${m.meshId}, t, ${m.id} FROM unnest(${tokens}::text[]) AS t
            ON CONFLICT DO NOTHING`;
        }
      });
    },
    async recallMemoriesByText(meshId, words, limit) {
      if (words.length === 0) return [];
      // plainto_tsquery ANDs the words; ts_rank with normalization 1 favours shorter texts, as bm25 does
      // on SQLite; equal ranks fall back to the newest.
      const rows = await ctx.run(
        false,
        (db) => db<MemoryDbRow[]>`
          SELECT m.id, m.mesh_id, m.content, m.tags, m.member_id, m.remembered_by, m.created_at
          FROM memories m, plainto_tsquery('english', ${words.join(" ")}) AS q
          WHERE m.mesh_id = ${meshId} AND m.forgotten_at IS NULL AND m.search @@ q
          ORDER BY ts_rank(m.search, q, 1) DESC, m.created_at DESC, m.seq DESC
          LIMIT ${limit}`,
      );
      return rows.map(toRow);
    },
    async recallMemoriesByTokens(meshId, tokens, limit) {
      const distinct = [...new Set(tokens)];
      if (distinct.length === 0) return [];
      const rows = await ctx.run(
        false,
        (db) => db<MemoryDbRow[]>`
          SELECT m.id, m.mesh_id, m.content, m.tags, m.member_id, m.remembered_by, m.created_at
          FROM memories m
          WHERE m.id IN (SELECT memory_id FROM memory_tokens
                         WHERE mesh_id = ${meshId} AND token = ANY(${distinct}::text[])
                         GROUP BY memory_id HAVING COUNT(*) = ${distinct.length})
            AND m.forgotten_at IS NULL
          ORDER BY m.created_at DESC, m.seq DESC
          LIMIT ${limit}`,
      );
      return rows.map(toRow);
    },
    async forgetMemory(meshId, id, at) {
      // One statement: the row as it was, and whether this call was the one that forgot it.
      const [row] = await ctx.run(
        false,
        (db) => db<{ updated: boolean }[]>`
          WITH target AS (SELECT id, forgotten_at FROM memories WHERE mesh_id = ${meshId} AND id = ${id}),
               done AS (UPDATE memories SET forgotten_at = ${at}
                        WHERE id IN (SELECT id FROM target WHERE forgotten_at IS NULL) RETURNING id)
          SELECT EXISTS (SELECT 1 FROM done) AS updated
          FROM target t`,
      );
      if (!row) return "not_found";
      return row.updated ? "forgotten" : "already_forgotten";
    },
    async countMemories(meshId) {
      const [row] = await ctx.run(
        false,
        (db) => db<{ n: number }[]>`
          SELECT COUNT(*)::int AS n FROM memories WHERE mesh_id = ${meshId} AND forgotten_at IS NULL`,
      );
      return row?.n ?? 0;
    },
  };
}
