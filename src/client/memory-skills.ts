/**
 * Memories as our clients send them (protocol.md §5.8): the content a `cm:enc1:` envelope under the
 * mesh's data key (`value-crypto.ts`), with blind search tokens made with the search key; recall sends
 * query tokens.
 */
import { searchKey, searchTokens } from "../crypto/index.js";
import { meshDataKey, sealText } from "./value-crypto.js";

/** A memory ready for `remember`: the envelope and the tokens of its words. */
export interface SealedMemory {
  content: string;
  searchTokens: string[];
}

export function sealMemory(text: string, rootKey: Uint8Array): SealedMemory {
  return {
    content: sealText(text, meshDataKey(rootKey)),
    searchTokens: searchTokens(text, searchKey(rootKey)),
  };
}

/** The `queryTokens` of a recall: one per normalized word of `query` (none when it has no words). */
export function memoryQueryTokens(query: string, rootKey: Uint8Array): string[] {
  return searchTokens(query, searchKey(rootKey));
}
