import type Database from "better-sqlite3";
import type { OwnedRowCreate, OwnedRowFamily, OwnedRowStore } from "../port/index.js";
import { ownedRowLockName, ownedRowQueries } from "../owned-rows.js";
import type { SqliteContext } from "./db.js";
import { KeyedQueue } from "../../../host/keyed-queue.js";

interface FamilyStatements {
  count: Database.Statement<[string, string, number], number>;
  exists: Database.Statement<[string, string], number> | null;
}

/** The row quota (protocol.md §6) on SQLite: the count and the create in one write transaction. */
export function ownedRowMethods(ctx: SqliteContext): OwnedRowStore {
  const q = ctx.statements((db) => {
    const byFamily = new Map<OwnedRowFamily, FamilyStatements>();
    return (family: OwnedRowFamily): FamilyStatements => {
      let made = byFamily.get(family);
      if (made === undefined) {
        const { count, exists } = ownedRowQueries(family, () => "?");
        made = {
          count: db.prepare<[string, string, number], number>(count).pluck(),
          exists: exists === null ? null : db.prepare<[string, string], number>(exists).pluck(),
        };
        byFamily.set(family, made);
      }
      return made;
    };
  });

  function hasRoom(row: OwnedRowCreate): boolean {
    const { count, exists } = q()(row.family);
    if (exists !== null && row.key !== null && exists.get(row.meshId, row.key) !== undefined) return true;
    return (count.get(row.meshId, row.memberId, row.max) ?? 0) < row.max;
  }

  /** Creates per member and family, one after another. */
  const turns = new KeyedQueue();

  return {
    withinRowQuota(row, create) {
      // Concurrent `transaction()` calls share the one open transaction here, so two creates could both
      // count before either inserts: a member's creates of one family take turns instead.
      const name = ownedRowLockName(row.family, row.meshId, row.memberId);
      return turns.run(name, () =>
        ctx.transaction(async () => (hasRoom(row) ? { value: await create() } : null)),
      );
    },
  };
}
