/** What the memory family (protocol.md §6.2) stores: memories, their blind search tokens, soft deletes. */

export interface MemoryRow {
  id: string;
  meshId: string;
  /** Plaintext (reference clients) or a `cm:enc1:` envelope (ours). */
  content: string;
  tags: string[];
  memberId: string;
  /** The writer's display name. */
  rememberedBy: string;
  createdAt: number;
}

export interface NewMemory extends MemoryRow {
  /** Blind tokens (§5.8); when given, the memory is found by them and not by full-text search. */
  searchTokens: string[];
  /** Whether `content` is indexed for full-text search (plaintext only). */
  fullText: boolean;
}

export type ForgetOutcome = "forgotten" | "already_forgotten" | "not_found";

export interface MemoryStore {
  rememberMemory(memory: NewMemory): Promise<void>;
  /**
   * Live memories of `meshId` matching every word of `words` (normalized, stop words already dropped; the
   * adapter stems them, English): best match first, then newest; at most `limit`.
   */
  recallMemoriesByText(meshId: string, words: string[], limit: number): Promise<MemoryRow[]>;
  /** Live memories of `meshId` whose search tokens include every one of `tokens`, newest first. */
  recallMemoriesByTokens(meshId: string, tokens: string[], limit: number): Promise<MemoryRow[]>;
  /** Soft delete: a forgotten memory is never recalled or counted again. */
  forgetMemory(meshId: string, id: string, at: number): Promise<ForgetOutcome>;
  /** Live (not forgotten) memories of `meshId`. */
  countMemories(meshId: string): Promise<number>;
}
