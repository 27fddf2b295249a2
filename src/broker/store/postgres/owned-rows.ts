import type { OwnedRowCreate, OwnedRowStore } from "../port/index.js";
import { ownedRowLockName, ownedRowQueries } from "../owned-rows.js";
import type { Db, PgContext } from "./db.js";

/**
 * Whether `row` fits, under a transaction-scoped advisory lock on the member and family: a create on
 * another node waits until this transaction ends, then counts what it committed.
 */
async function hasRoom(db: Db, row: OwnedRowCreate): Promise<boolean> {
  const lock = ownedRowLockName(row.family, row.meshId, row.memberId);
  await db`SELECT pg_advisory_xact_lock(hashtextextended(${lock}, 0))`;
  const { count, exists } = ownedRowQueries(row.family, (n) => `$${n}`);
  if (exists !== null && row.key !== null) {
    if ((await db.unsafe(exists, [row.meshId, row.key])).length > 0) return true;
  }
  const [owned] = await db.unsafe<Array<{ n: string }>>(count, [row.meshId, row.memberId, row.max]);
  return Number(owned?.n ?? 0) < row.max;
}

/** The row quota (protocol.md §6) on PostgreSQL: the count and the create in one transaction. */
export function ownedRowMethods(ctx: PgContext): OwnedRowStore {
  return {
    withinRowQuota(row, create) {
      return ctx.transaction(async () =>
        (await ctx.run(false, (db) => hasRoom(db, row))) ? { value: await create() } : null,
      );
    },
  };
}
