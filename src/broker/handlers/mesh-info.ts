/** `mesh_info` (protocol.md §6.9): the mesh at a glance for the asking presence. */
import type { HandlerTable } from "./types.js";

export const meshInfoHandlers: Pick<HandlerTable, "mesh_info"> = {
  async mesh_info({ ctx, conn, presence }, frame) {
    const overview = await ctx.store.meshOverview(presence.meshId, presence.memberId);
    const stateKeys = await ctx.store.stateKeys(presence.meshId);
    const memoryCount = await ctx.store.countMemories(presence.meshId);
    const tasks = await ctx.store.taskCounts(presence.meshId);
    const fileCount = await ctx.store.countFiles(presence.meshId);
    conn.reply(frame, {
      type: "mesh_info_result",
      mesh: presence.meshId,
      peers: overview.presences,
      groups: overview.groups.map((name) => `@${name}`),
      stateKeys,
      memoryCount,
      fileCount,
      tasks,
      streams: [],
      tables: [],
      collections: [],
      yourName: presence.displayName,
      yourGroups: presence.groups,
    });
  },
};
