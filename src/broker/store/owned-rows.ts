/**
 * What a member owns in each family the row quota counts (protocol.md §6, "Row quota"), as the SQL both
 * adapters run. Every count is a range of an index on (mesh, owner) — and `forgotten_at` for memories —
 * from the `owned-rows` migration.
 */
import type { OwnedRowFamily } from "./port/index.js";

interface OwnedRows {
  table: string;
  /** The column naming the owning member. */
  owner: string;
  /** The column a create may replace a row by, or null when every create adds one. */
  key: string | null;
  /** Extra condition a row must meet to count (and to be replaced). */
  live: string;
}

const FAMILIES: Record<OwnedRowFamily, OwnedRows> = {
  // The member that last wrote the key: a write to another's key takes it over and adds no row.
  state: { table: "state_entries", owner: "updated_by_member_id", key: "key", live: "" },
  // Forgotten memories are never recalled again: they free their slot.
  memories: { table: "memories", owner: "member_id", key: null, live: "AND forgotten_at IS NULL" },
  // Tasks are never deleted; done ones still take room.
  tasks: { table: "tasks", owner: "created_by_member_id", key: null, live: "" },
  topics: { table: "topics", owner: "created_by_member_id", key: "name", live: "" },
  // The member that shared the current version, as for state keys.
  skills: { table: "skills", owner: "member_id", key: "name", live: "" },
};

/**
 * The family's queries, parameters in order of appearance, each written by `param(n)` (`$1` for
 * PostgreSQL, `?` for SQLite). The count stops at `max` rows, so a member owning more (state keys taken
 * over) costs no more than one at its quota.
 */
export function ownedRowQueries(
  family: OwnedRowFamily,
  param: (n: number) => string,
): { count: string; exists: string | null } {
  const { table, owner, key, live } = FAMILIES[family];
  return {
    // mesh, member, max
    count: `SELECT COUNT(*) AS n FROM (
      SELECT 1 FROM ${table} WHERE mesh_id = ${param(1)} AND ${owner} = ${param(2)} ${live} LIMIT ${param(3)}
    ) AS owned`,
    // mesh, key
    exists:
      key === null
        ? null
        : `SELECT 1 AS found FROM ${table} WHERE mesh_id = ${param(1)} AND ${key} = ${param(2)} ${live}`,
  };
}

/** The name a create of `family` by `memberId` in `meshId` takes turns on. */
export function ownedRowLockName(family: OwnedRowFamily, meshId: string, memberId: string): string {
  return `rows:${family}:${meshId}:${memberId}`;
}
