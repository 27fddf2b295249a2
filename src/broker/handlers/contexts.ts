/**
 * Contexts (protocol.md §6.7): one per member, replaced on share and announced to every other presence
 * as `state_change {key:"_context:<name>"}`. `get_context` matches a summary substring (case-insensitive)
 * or a tag exactly; summaries our clients encrypted never match a word, only their tags do (our clients
 * search after decrypting `list_contexts` instead).
 */
import { CONTEXT_RESULTS_MAX, contextStateKey, type ContextEntry } from "../../protocol/index.js";
import { randomMessageId } from "../../crypto/ids.js";
import type { ContextRow } from "../store/port/index.js";
import { publishStateChange } from "../state/changes.js";
import type { HandlerTable } from "./types.js";

function toEntry(row: ContextRow): ContextEntry {
  return {
    peerName: row.peerName,
    summary: row.summary,
    filesRead: row.filesRead,
    keyFindings: row.keyFindings,
    tags: row.tags,
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** Whether a context answers `query`: its summary contains it (any case), or one of its tags is it. */
export function contextMatches(context: Pick<ContextRow, "summary" | "tags">, query: string): boolean {
  return context.summary.toLowerCase().includes(query.toLowerCase()) || context.tags.includes(query);
}

export const contextHandlers: Pick<HandlerTable, "share_context" | "get_context" | "list_contexts"> = {
  async share_context({ ctx, conn, presence }, frame) {
    const now = Date.now();
    const id = await ctx.store.shareContext({
      id: randomMessageId(),
      meshId: presence.meshId,
      memberId: presence.memberId,
      peerName: presence.displayName,
      summary: frame.summary,
      filesRead: frame.filesRead ?? [],
      keyFindings: frame.keyFindings ?? [],
      tags: frame.tags ?? [],
      updatedAt: now,
    });
    conn.reply(frame, { type: "context_shared", id });
    publishStateChange(
      ctx,
      {
        meshId: presence.meshId,
        exceptPresenceId: presence.id,
        source: "context",
        ref: presence.memberId,
        key: contextStateKey(presence.displayName),
        updatedBy: presence.displayName,
        updatedAt: new Date(now).toISOString(),
      },
      frame.summary,
    );
  },

  async get_context({ ctx, conn, presence }, frame) {
    // One context per member, so the mesh's list is as long as its roster: filtered here, the same on
    // every store (newest first, top 20).
    const rows = await ctx.store.listContexts(presence.meshId);
    const found = rows.filter((row) => contextMatches(row, frame.query)).slice(0, CONTEXT_RESULTS_MAX);
    conn.reply(frame, { type: "context_results", contexts: found.map(toEntry) });
  },

  async list_contexts({ ctx, conn, presence }, frame) {
    const rows = await ctx.store.listContexts(presence.meshId);
    conn.reply(frame, { type: "context_list", contexts: rows.map(toEntry) });
  },
};
