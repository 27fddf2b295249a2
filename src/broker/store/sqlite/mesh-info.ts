import type { MeshInfoStore } from "../port/index.js";
import type { SqliteContext } from "./db.js";

/** Presences a member may see: live (online or in grace), and visible unless they are its own. */
const VISIBLE_PRESENCES = `mesh_id = @mesh AND disconnected_at IS NULL AND (visible = 1 OR member_id = @viewer)`;

interface OverviewParams {
  mesh: string;
  viewer: string;
}

/** The `mesh_info` overview (protocol.md §6.9), from the shared presence rows. */
export function meshInfoMethods(ctx: SqliteContext): MeshInfoStore {
  const q = ctx.statements((db) => {
    const count = db
      .prepare<OverviewParams, number>(`SELECT COUNT(*) FROM presences WHERE ${VISIBLE_PRESENCES}`)
      .pluck();
    // Groups are a JSON array per row; json_each unnests them so the database does the DISTINCT.
    const groups = db
      .prepare<OverviewParams, string>(
        `SELECT DISTINCT json_extract(g.value, '$.name') AS name
         FROM presences, json_each(presences.groups) AS g
         WHERE ${VISIBLE_PRESENCES}
         ORDER BY name`,
      )
      .pluck();
    // One read transaction: the count and the groups come from the same snapshot.
    return ctx.atomic(
      (params: OverviewParams) => ({ presences: count.get(params) ?? 0, groups: groups.all(params) }),
      "read",
    );
  });

  return {
    async meshOverview(meshId, viewerMemberId) {
      return q()({ mesh: meshId, viewer: viewerMemberId });
    },
  };
}
