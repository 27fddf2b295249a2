/** memory (protocol.md §6.2): `remember`, `recall` (full text or blind tokens), `forget` (soft delete). */
import { randomUUID } from "node:crypto";
import { isEncryptedValueString } from "../../crypto/index.js";
import { ErrorCode, RECALL_LIMIT, type MemoryEntry } from "../../protocol/index.js";
import type { MemoryRow } from "../store/port/index.js";
import { queryWords } from "../memory/full-text.js";
import { withinRowQuota } from "../row-quota.js";
import type { HandlerTable } from "./types.js";

function entry(row: MemoryRow): MemoryEntry {
  return {
    id: row.id,
    content: row.content,
    tags: row.tags,
    rememberedBy: row.rememberedBy,
    rememberedAt: new Date(row.createdAt).toISOString(),
  };
}

export const memoryHandlers: Pick<HandlerTable, "remember" | "recall" | "forget"> = {
  async remember(args, frame) {
    const { ctx, conn, presence } = args;
    const id = randomUUID();
    const searchTokens = frame.searchTokens ?? [];
    const remember = () =>
      ctx.store.rememberMemory({
        id,
        meshId: presence.meshId,
        content: frame.content,
        tags: frame.tags ?? [],
        memberId: presence.memberId,
        rememberedBy: presence.displayName,
        createdAt: Date.now(),
        searchTokens,
        // An encrypted memory is found by its tokens only: its envelope holds no words worth indexing.
        fullText: searchTokens.length === 0 && !isEncryptedValueString(frame.content),
      });
    if (!(await withinRowQuota(args, frame, "memories", null, remember))) return;
    conn.reply(frame, { type: "memory_stored", id });
  },

  async recall({ ctx, conn, presence }, frame) {
    const rows =
      frame.queryTokens !== undefined && frame.queryTokens.length > 0
        ? await ctx.store.recallMemoriesByTokens(presence.meshId, frame.queryTokens, RECALL_LIMIT)
        : await ctx.store.recallMemoriesByText(presence.meshId, queryWords(frame.query), RECALL_LIMIT);
    conn.reply(frame, { type: "memory_results", memories: rows.map(entry) });
  },

  async forget({ ctx, conn, presence }, frame) {
    const outcome = await ctx.store.forgetMemory(presence.meshId, frame.memoryId, Date.now());
    if (outcome === "not_found") {
      conn.error(frame, ErrorCode.notFound, `no memory ${frame.memoryId} in this mesh`);
      return;
    }
    // Forgetting twice is not an error: the memory is gone from recall either way.
    conn.reply(frame, { type: "ack", id: frame.memoryId, messageId: frame.memoryId, queued: false });
  },
};
