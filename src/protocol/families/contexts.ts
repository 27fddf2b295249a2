/**
 * Contexts (protocol.md §6.7): what each member is working on, one per member, replaced on share. Our
 * clients encrypt `summary`, `filesRead` and `keyFindings` (string envelopes, §5.8); tags stay plaintext.
 */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { reqId, replyReqId } from "../fields.js";

/**
 * Limits [ours], on what travels: an encrypted envelope is about 4/3 of the plaintext's UTF-8 bytes plus
 * 60 characters. A whole `share_context` at its limits stays under the 262,144-byte frame limit.
 */
export const CONTEXT_SUMMARY_MAX_CHARS = 16_384;
export const CONTEXT_ITEM_MAX_CHARS = 2_048;
export const CONTEXT_ITEMS_MAX = 50;
export const CONTEXT_TAG_MAX_CHARS = 64;
export const CONTEXT_TAGS_MAX = 32;
export const CONTEXT_QUERY_MAX_CHARS = 1_024;
/** `get_context` results (§8). */
export const CONTEXT_RESULTS_MAX = 20;

const Item = z.string().max(CONTEXT_ITEM_MAX_CHARS);
const Tag = z.string().min(1).max(CONTEXT_TAG_MAX_CHARS);

export const ShareContextFrame = z.object({
  type: z.literal("share_context"),
  summary: z.string().min(1).max(CONTEXT_SUMMARY_MAX_CHARS),
  filesRead: z.array(Item).max(CONTEXT_ITEMS_MAX).optional(),
  keyFindings: z.array(Item).max(CONTEXT_ITEMS_MAX).optional(),
  tags: z.array(Tag).max(CONTEXT_TAGS_MAX).optional(),
  _reqId: reqId,
});
export const GetContextFrame = z.object({
  type: z.literal("get_context"),
  query: z.string().min(1).max(CONTEXT_QUERY_MAX_CHARS),
  _reqId: reqId,
});
export const ListContextsFrame = z.object({ type: z.literal("list_contexts"), _reqId: reqId });

export const ContextEntry = z.object({
  peerName: z.string(),
  summary: z.string(),
  filesRead: z.array(z.string()),
  keyFindings: z.array(z.string()),
  tags: z.array(z.string()),
  updatedAt: z.string(),
});
export type ContextEntry = z.infer<typeof ContextEntry>;

/** A `context_list` entry: the reference's fields, plus [ours, additive] `filesRead` and `keyFindings`. */
export const ContextListEntry = ContextEntry.extend({
  filesRead: z.array(z.string()).optional(),
  keyFindings: z.array(z.string()).optional(),
});
export type ContextListEntry = z.infer<typeof ContextListEntry>;

export const ContextShared = z.object({
  type: z.literal("context_shared"),
  id: z.string(),
  _reqId: replyReqId,
});
export type ContextShared = z.infer<typeof ContextShared>;
export const ContextResults = z.object({
  type: z.literal("context_results"),
  contexts: z.array(ContextEntry),
  _reqId: replyReqId,
});
export type ContextResults = z.infer<typeof ContextResults>;
export const ContextList = z.object({
  type: z.literal("context_list"),
  contexts: z.array(ContextListEntry),
  _reqId: replyReqId,
});
export type ContextList = z.infer<typeof ContextList>;

/** The `state_change` key a shared context is announced under (§6.7). */
export function contextStateKey(displayName: string): string {
  return `_context:${displayName}`;
}

export const contextRequests = [ShareContextFrame, GetContextFrame, ListContextsFrame] as const;
type ContextRequestType = z.infer<(typeof contextRequests)[number]>["type"];

export const contextReplies = {
  share_context: ContextShared,
  get_context: ContextResults,
  list_contexts: ContextList,
} as const satisfies ReplyTable<ContextRequestType>;
