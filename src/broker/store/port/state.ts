/** Shared key–value state and per-member contexts (protocol.md §6.1, §6.7). */

/** One state entry; `valueJson` is the value's JSON text, stored verbatim. */
export interface StateRow {
  key: string;
  valueJson: string;
  /** The writer's display name. */
  updatedBy: string;
  updatedAt: number;
}

/** One member's shared context (string fields may be encrypted envelopes; the store never looks). */
export interface ContextRow {
  id: string;
  meshId: string;
  memberId: string;
  peerName: string;
  summary: string;
  filesRead: string[];
  keyFindings: string[];
  tags: string[];
  updatedAt: number;
}

export interface StateStore {
  /** Upserts `key` in `meshId` (last write wins); `memberId` (the writer's member) then owns the key. */
  setState(meshId: string, row: StateRow, memberId: string): Promise<void>;
  getState(meshId: string, key: string): Promise<StateRow | null>;
  /** Every entry of the mesh, by key (code point order). */
  listState(meshId: string): Promise<StateRow[]>;
  /** The mesh's keys, by key (code point order). */
  stateKeys(meshId: string): Promise<string[]>;
  /**
   * Upserts the context of `row.memberId` in one statement: a member's first share stores `row.id`, a
   * later one replaces every field but the id. Returns the id the context keeps.
   */
  shareContext(row: ContextRow): Promise<string>;
  /** The mesh's contexts, most recently updated first. */
  listContexts(meshId: string): Promise<ContextRow[]>;
}
