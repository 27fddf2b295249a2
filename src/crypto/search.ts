/** Blind memory-search tokens (protocol.md §5.8). */
import { toHex, utf8 } from "./encoding.js";
import { sodium } from "./sodium.js";

export const MAX_SEARCH_WORDS = 64;
const TOKEN_BYTES = 16;
const NOT_LETTER_OR_DIGIT = /[^\p{L}\p{N}]+/u;

/**
 * The normalized words of `text`, in order of first appearance: NFKC, lower-case, split on anything that
 * is not a Unicode letter or digit, words of at least 2 characters (code points), at most 64 distinct.
 */
export function searchWords(text: string): string[] {
  const words = new Set<string>();
  for (const word of text.normalize("NFKC").toLowerCase().split(NOT_LETTER_OR_DIGIT)) {
    if ([...word].length < 2) continue;
    words.add(word);
    if (words.size === MAX_SEARCH_WORDS) break;
  }
  return [...words];
}

/** Lower-case hex of BLAKE2b (16-byte output, keyed with the search key) of each word of `text`. */
export function searchTokens(text: string, searchKey: Uint8Array): string[] {
  return searchWords(text).map((word) =>
    toHex(sodium.crypto_generichash(TOKEN_BYTES, utf8(word), searchKey)),
  );
}
