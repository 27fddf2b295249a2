/**
 * What our clients do to memories and skills before they leave the machine and after they come back
 * (protocol.md §5.8): memory content and skill instructions become `cm:enc1:` envelopes under the mesh's
 * data key; memories carry blind search tokens made with the search key, and recall sends query tokens.
 */
import {
  dataKey,
  decryptValueString,
  encryptValueString,
  isEncryptedValueString,
  searchKey,
  searchTokens,
} from "../crypto/index.js";

/** A memory ready for `remember`: the envelope and the tokens of its words. */
export interface SealedMemory {
  content: string;
  searchTokens: string[];
}

export function sealMemory(text: string, rootKey: Uint8Array): SealedMemory {
  return {
    content: encryptValueString(text, dataKey(rootKey)),
    searchTokens: searchTokens(text, searchKey(rootKey)),
  };
}

/** The `queryTokens` of a recall: one per normalized word of `query` (none when it has no words). */
export function memoryQueryTokens(query: string, rootKey: Uint8Array): string[] {
  return searchTokens(query, searchKey(rootKey));
}

/** Skill instructions as an envelope. */
export function sealText(text: string, rootKey: Uint8Array): string {
  return encryptValueString(text, dataKey(rootKey));
}

/**
 * A stored text as a reader sees it: an envelope opened with the mesh key, plaintext (a reference
 * client's) as it is. `readable` is false for an envelope this key does not open.
 */
export interface OpenedText {
  text: string;
  encrypted: boolean;
  readable: boolean;
}

export function openText(stored: string, rootKey: Uint8Array): OpenedText {
  if (!isEncryptedValueString(stored)) return { text: stored, encrypted: false, readable: true };
  const text = decryptValueString(stored, dataKey(rootKey));
  return text === null
    ? { text: "[encrypted with a key this mesh does not have]", encrypted: true, readable: false }
    : { text, encrypted: true, readable: true };
}
