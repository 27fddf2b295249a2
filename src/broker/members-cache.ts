/**
 * Members by mesh, cached briefly for routing (broadcast and group fan-out, names). Every change (create,
 * claim, revoke) invalidates at once, here and, through the cluster, on the other nodes; the short TTL
 * bounds staleness when a notice is lost.
 */
import type { ClusterBus } from "./cluster/bus.js";
import type { MemberRow, Store } from "./store/port/index.js";

const TTL_MS = 2_000;

export class MemberCache {
  private readonly meshes = new Map<
    string,
    { at: number; members: MemberRow[]; byPubkey: Map<string, MemberRow>; byId: Map<string, MemberRow> }
  >();

  constructor(
    private readonly store: Store,
    private readonly cluster: ClusterBus,
  ) {
    cluster.on("members", ({ meshId }) => this.meshes.delete(meshId));
  }

  /** Non-revoked members of the mesh. */
  async active(meshId: string): Promise<MemberRow[]> {
    return (await this.load(meshId)).members;
  }

  async byPubkey(meshId: string, pubkey: string): Promise<MemberRow | undefined> {
    return (await this.load(meshId)).byPubkey.get(pubkey);
  }

  async byId(meshId: string, memberId: string): Promise<MemberRow | undefined> {
    return (await this.load(meshId)).byId.get(memberId);
  }

  invalidate(meshId: string): void {
    this.meshes.delete(meshId);
    this.cluster.publish({ kind: "members", meshId });
  }

  private async load(meshId: string) {
    const cached = this.meshes.get(meshId);
    const now = Date.now();
    if (cached && now - cached.at < TTL_MS) return cached;
    const members = await this.store.listMembers(meshId);
    const entry = {
      at: now,
      members,
      byPubkey: new Map(members.map((m) => [m.pubkey, m])),
      byId: new Map(members.map((m) => [m.id, m])),
    };
    this.meshes.set(meshId, entry);
    return entry;
  }
}
