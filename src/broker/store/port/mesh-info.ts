/** What `mesh_info` reads (protocol.md §6.9). Counts of families not served yet are not asked here. */

/** The mesh at a glance, as one member may see it. */
export interface MeshOverview {
  /** Presences online or in grace, other members' hidden ones left out (as in `list_peers`). */
  presences: number;
  /** Distinct names of the groups those presences are in, sorted by code point. */
  groups: string[];
}

export interface MeshInfoStore {
  /** The overview of `meshId` for a presence of `viewerMemberId`, across every node. */
  meshOverview(meshId: string, viewerMemberId: string): Promise<MeshOverview>;
}
