import type { MeshInfoStore, MeshOverview } from "../port/index.js";
import type { PgContext } from "./db.js";

/** The `mesh_info` overview (protocol.md §6.9), from the shared presence rows. */
export function meshInfoMethods(ctx: PgContext): MeshInfoStore {
  return {
    async meshOverview(meshId, viewerMemberId) {
      // One statement, so the count and the groups come from the same snapshot. Presences a member may
      // see: live (online or in grace), and visible unless they are its own. Group names are distinct
      // and sorted by code point (the "C" collation).
      const [row] = await ctx.run(
        false,
        (db) => db<MeshOverview[]>`
          WITH seen AS (
            SELECT groups FROM presences
            WHERE mesh_id = ${meshId} AND disconnected_at IS NULL AND (visible OR member_id = ${viewerMemberId})
          )
          SELECT (SELECT COUNT(*) FROM seen) AS presences,
                 ARRAY(SELECT DISTINCT (g ->> 'name') COLLATE "C" AS name
                       FROM seen, jsonb_array_elements(seen.groups) AS g
                       ORDER BY name) AS groups`,
      );
      return row ?? { presences: 0, groups: [] };
    },
  };
}
