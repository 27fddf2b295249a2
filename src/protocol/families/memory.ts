/**
 * memory (protocol.md §6.2): `remember`, `recall`, `forget`. Our clients send `content` as a `cm:enc1:`
 * envelope with blind `searchTokens`, and recall with `queryTokens` (§5.8); reference clients send
 * plaintext and recall by full-text search.
 */
import { z } from "zod";
import type { ReplyTable } from "../envelope.js";
import { reqId, replyReqId } from "../fields.js";
import { AckFrame } from "./messaging.js";

/** The longest `content`, in characters (an encrypted envelope of ~48 KiB of text fits). */
export const MEMORY_CONTENT_MAX_CHARS = 65_536;
/** The longest `query`, in characters. */
export const MEMORY_QUERY_MAX_CHARS = 1_024;
/** Tags per memory, and the longest tag. */
export const MEMORY_MAX_TAGS = 32;
export const MEMORY_TAG_MAX_CHARS = 64;
/** Search or query tokens per request (§5.8: at most 64 distinct words). */
export const MAX_SEARCH_TOKENS = 64;
/** What `recall` returns at most (§6.2). */
export const RECALL_LIMIT = 20;

/** One blind search token: lower-case hex of a 16-byte BLAKE2b (§5.8). */
export const SearchToken = z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lower-case hex characters");
const SearchTokens = z.array(SearchToken).max(MAX_SEARCH_TOKENS);
export const MemoryTags = z.array(z.string().min(1).max(MEMORY_TAG_MAX_CHARS)).max(MEMORY_MAX_TAGS);

export const RememberFrame = z.object({
  type: z.literal("remember"),
  content: z.string().min(1).max(MEMORY_CONTENT_MAX_CHARS),
  tags: MemoryTags.optional(),
  searchTokens: SearchTokens.optional(),
  _reqId: reqId,
});
export const RecallFrame = z.object({
  type: z.literal("recall"),
  query: z.string().max(MEMORY_QUERY_MAX_CHARS),
  queryTokens: SearchTokens.optional(),
  _reqId: reqId,
});
export const ForgetFrame = z.object({
  type: z.literal("forget"),
  memoryId: z.string().min(1).max(128),
  _reqId: reqId,
});

export const MemoryStored = z.object({
  type: z.literal("memory_stored"),
  id: z.string(),
  _reqId: replyReqId,
});
export type MemoryStored = z.infer<typeof MemoryStored>;

export const MemoryEntry = z.object({
  id: z.string(),
  content: z.string(),
  tags: z.array(z.string()),
  /** The writer's display name. */
  rememberedBy: z.string(),
  /** ISO-8601. */
  rememberedAt: z.string(),
});
export type MemoryEntry = z.infer<typeof MemoryEntry>;

export const MemoryResults = z.object({
  type: z.literal("memory_results"),
  memories: z.array(MemoryEntry),
  _reqId: replyReqId,
});
export type MemoryResults = z.infer<typeof MemoryResults>;

export const memoryRequests = [RememberFrame, RecallFrame, ForgetFrame] as const;
type MemoryRequestType = z.infer<(typeof memoryRequests)[number]>["type"];

export const memoryReplies = {
  remember: MemoryStored,
  recall: MemoryResults,
  forget: AckFrame,
} as const satisfies ReplyTable<MemoryRequestType>;
