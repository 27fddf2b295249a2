/** The per-member row quota of the shared families (protocol.md §6, "Row quota"). */

/** The families whose rows a member owns and is counted for. */
export type OwnedRowFamily = "state" | "memories" | "tasks" | "topics" | "skills";

/** One create to check: a row of `family` in `meshId` that `memberId` will own. */
export interface OwnedRowCreate {
  family: OwnedRowFamily;
  meshId: string;
  memberId: string;
  /**
   * The row's key when the create may replace an existing row (a state key, a topic or skill name), else
   * null. A replace adds no row, so it passes whatever the member owns.
   */
  key: string | null;
  /** Rows of the family the member may own in the mesh. */
  max: number;
}

export interface OwnedRowStore {
  /**
   * Runs `create` (store calls adding at most the one row `row` describes) in one transaction with the
   * check that it fits: unless `row.key` names a row the family already holds in the mesh, the member
   * must own fewer than `row.max` rows of the family there. Refused, `create` never runs and null comes
   * back; else its result. Calls for one member and family take turns on every node, so concurrent
   * creates never pass `max` together.
   */
  withinRowQuota<T>(row: OwnedRowCreate, create: () => Promise<T>): Promise<{ value: T } | null>;
}
