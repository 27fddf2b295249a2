import { z } from "zod";
import type { MemoryRow, MemoryStore } from "../port/index.js";
import type { SqliteContext } from "./db.js";
import { readJson } from "./json.js";

const Tags = z.array(z.string());

interface MemoryDbRow {
  id: string;
  mesh_id: string;
  content: string;
  tags: string;
  member_id: string;
  remembered_by: string;
  created_at: number;
}

const COLUMNS = "m.id, m.mesh_id, m.content, m.tags, m.member_id, m.remembered_by, m.created_at";

function toRow(row: MemoryDbRow): MemoryRow {
  return {
    id: row.id,
    meshId: row.mesh_id,
    content: row.content,
    tags: readJson(row.tags, Tags),
    memberId: row.member_id,
    rememberedBy: row.remembered_by,
    createdAt: row.created_at,
  };
}

/** `"w1" AND "w2" …`: words are letters and digits only (the broker split them), so quoting is safe. */
function ftsQuery(words: readonly string[]): string {
  return words.map((w) => `"${w}"`).join(" AND ");
}

/** The memory family (protocol.md §6.2) on SQLite: FTS5 for plaintext, a token table for blind tokens. */
export function memoryMethods(ctx: SqliteContext): MemoryStore {
  const q = ctx.statements((db) => {
    const insert = db.prepare(
      `INSERT INTO memories (id, mesh_id, content, tags, member_id, remembered_by, created_at)
       VALUES (@id, @mesh_id, @content, @tags, @member_id, @remembered_by, @created_at)`,
    );
    const insertToken = db.prepare(
      "INSERT OR IGNORE INTO memory_tokens (mesh_id, token, memory_id) VALUES (?, ?, ?)",
    );
    const insertText = db.prepare("INSERT INTO memories_fts (rowid, content) VALUES (?, ?)");
    return {
      remember: ctx.atomic(
        (row: Record<string, string | number>, tokens: readonly string[], fullText: boolean) => {
          const { lastInsertRowid } = insert.run(row);
          for (const token of tokens) insertToken.run(row.mesh_id, token, row.id);
          if (fullText) insertText.run(lastInsertRowid, row.content);
        },
      ),
      // bm25() is lower for better matches; equal scores fall back to the newest.
      byText: db.prepare<[string, string, number], MemoryDbRow>(
        `SELECT ${COLUMNS} FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
         WHERE memories_fts MATCH ? AND m.mesh_id = ? AND m.forgotten_at IS NULL
         ORDER BY bm25(memories_fts), m.created_at DESC, m.seq DESC
         LIMIT ?`,
      ),
      byTokens: db.prepare<[string, string, number, number], MemoryDbRow>(
        `SELECT ${COLUMNS} FROM memories m
         WHERE m.id IN (SELECT memory_id FROM memory_tokens
                        WHERE mesh_id = ? AND token IN (SELECT value FROM json_each(?))
                        GROUP BY memory_id HAVING COUNT(*) = ?)
           AND m.forgotten_at IS NULL
         ORDER BY m.created_at DESC, m.seq DESC
         LIMIT ?`,
      ),
      find: db.prepare<[string, string], { forgotten_at: number | null }>(
        "SELECT forgotten_at FROM memories WHERE mesh_id = ? AND id = ?",
      ),
      forget: db.prepare(
        "UPDATE memories SET forgotten_at = ? WHERE mesh_id = ? AND id = ? AND forgotten_at IS NULL",
      ),
      count: db
        .prepare<[string], number>("SELECT COUNT(*) FROM memories WHERE mesh_id = ? AND forgotten_at IS NULL")
        .pluck(),
    };
  });

  return {
    async rememberMemory(m) {
      q().remember(
        {
          id: m.id,
          mesh_id: m.meshId,
          content: m.content,
          tags: JSON.stringify(m.tags),
          member_id: m.memberId,
          remembered_by: m.rememberedBy,
          created_at: m.createdAt,
        },
        m.searchTokens,
        m.fullText,
      );
    },
    async recallMemoriesByText(meshId, words, limit) {
      if (words.length === 0) return [];
      return q().byText.all(ftsQuery(words), meshId, limit).map(toRow);
    },
    async recallMemoriesByTokens(meshId, tokens, limit) {
      const distinct = [...new Set(tokens)];
      if (distinct.length === 0) return [];
      return q().byTokens.all(meshId, JSON.stringify(distinct), distinct.length, limit).map(toRow);
    },
    async forgetMemory(meshId, id, at) {
      const { find, forget } = q();
      const row = find.get(meshId, id);
      if (!row) return "not_found";
      if (row.forgotten_at !== null) return "already_forgotten";
      return forget.run(at, meshId, id).changes > 0 ? "forgotten" : "already_forgotten";
    },
    async countMemories(meshId) {
      return q().count.get(meshId) ?? 0;
    },
  };
}
