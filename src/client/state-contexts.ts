/** The state and context helpers of `MeshClient` (protocol.md §6.1, §6.7): limits, options, opening. */
import type { ContextEntry, ContextListEntry, StateEntry } from "../protocol/frames.js";
import { CONTEXT_ITEM_MAX_CHARS, CONTEXT_ITEMS_MAX, CONTEXT_SUMMARY_MAX_CHARS } from "../protocol/frames.js";
import type { RequestOptions } from "./types.js";
import { meshDataKey, openStateValue, openText } from "./value-crypto.js";

/** Which field of a context is over the broker's limits (its wire form), or null. */
export function contextTooLong(summary: string, filesRead?: string[], keyFindings?: string[]): string | null {
  if (summary.length > CONTEXT_SUMMARY_MAX_CHARS) {
    return `summary too long: ${summary.length} characters (the limit is ${CONTEXT_SUMMARY_MAX_CHARS})`;
  }
  for (const [name, list] of [
    ["files", filesRead],
    ["findings", keyFindings],
  ] as const) {
    if (list === undefined) continue;
    if (list.length > CONTEXT_ITEMS_MAX)
      return `has too many ${name}: ${list.length} (the limit is ${CONTEXT_ITEMS_MAX})`;
    const long = list.find((item) => item.length > CONTEXT_ITEM_MAX_CHARS);
    if (long !== undefined) {
      return `${name} entry too long: ${long.length} characters (the limit is ${CONTEXT_ITEM_MAX_CHARS})`;
    }
  }
  return null;
}

/** `get_context` results (§8). */
export const CONTEXT_RESULTS_LIMIT = 20;

/** Options of the state and context methods. */
export type SharedOptions = RequestOptions & {
  /** The mesh root key: encrypt what §5.8 says the broker must not see, and decrypt on read. */
  rootKey?: Uint8Array | undefined;
};

/** What `shareContext` takes (plaintext; encrypted when a root key is given). */
export interface ContextInput {
  summary: string;
  filesRead?: string[] | undefined;
  keyFindings?: string[] | undefined;
  tags?: string[] | undefined;
}

export function openEntry(entry: StateEntry, rootKey: Uint8Array | undefined): StateEntry {
  if (rootKey === undefined) return entry;
  return { ...entry, value: openStateValue(entry.value, meshDataKey(rootKey)).value };
}

export function openContext(c: ContextListEntry, rootKey: Uint8Array | undefined): ContextEntry {
  const filesRead = c.filesRead ?? [];
  const keyFindings = c.keyFindings ?? [];
  if (rootKey === undefined) return { ...c, filesRead, keyFindings };
  const key = meshDataKey(rootKey);
  const open = (t: string) => openText(t, key).value;
  return {
    ...c,
    summary: open(c.summary),
    filesRead: filesRead.map(open),
    keyFindings: keyFindings.map(open),
  };
}
