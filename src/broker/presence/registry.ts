/** The presences this node holds, indexed for routing. */
import type { PeerEventMode } from "./events.js";
import type { Presence } from "./presence.js";

const NONE: ReadonlySet<Presence> = new Set();

export class PresenceRegistry {
  private readonly byId = new Map<string, Presence>();
  private readonly byMember = new Map<string, Set<Presence>>();
  private readonly bySessionKey = new Map<string, Presence>();
  private readonly byMesh = new Map<string, Set<Presence>>();
  /** Presences that take presence events, by how (`none` is not indexed): fan-out never scans the mesh. */
  private readonly byEventMode = {
    each: new Map<string, Set<Presence>>(),
    coalesced: new Map<string, Set<Presence>>(),
  };

  add(p: Presence): void {
    this.byId.set(p.id, p);
    addTo(this.byMember, p.memberId, p);
    addTo(this.byMesh, p.meshId, p);
    if (p.peerEvents !== "none") addTo(this.byEventMode[p.peerEvents], p.meshId, p);
    if (p.sessionPubkey) this.bySessionKey.set(sessionKeyIndex(p.meshId, p.sessionPubkey), p);
  }

  remove(p: Presence): void {
    if (this.byId.get(p.id) !== p) return;
    this.byId.delete(p.id);
    removeFrom(this.byMember, p.memberId, p);
    removeFrom(this.byMesh, p.meshId, p);
    if (p.peerEvents !== "none") removeFrom(this.byEventMode[p.peerEvents], p.meshId, p);
    if (p.sessionPubkey) {
      const key = sessionKeyIndex(p.meshId, p.sessionPubkey);
      if (this.bySessionKey.get(key) === p) this.bySessionKey.delete(key);
    }
  }

  /** A reattaching hello may ask for presence events differently than the socket it replaces. */
  setPeerEvents(p: Presence, mode: PeerEventMode): void {
    if (this.byId.get(p.id) !== p || p.peerEvents === mode) {
      p.peerEvents = mode;
      return;
    }
    if (p.peerEvents !== "none") removeFrom(this.byEventMode[p.peerEvents], p.meshId, p);
    p.peerEvents = mode;
    if (mode !== "none") addTo(this.byEventMode[mode], p.meshId, p);
  }

  /** The mesh's presences that take presence events `mode`-wise (live set: do not keep it). */
  eventTargets(meshId: string, mode: Exclude<PeerEventMode, "none">): ReadonlySet<Presence> {
    return this.byEventMode[mode].get(meshId) ?? NONE;
  }

  get(id: string): Presence | undefined {
    return this.byId.get(id);
  }

  bySession(meshId: string, sessionPubkey: string): Presence | undefined {
    return this.bySessionKey.get(sessionKeyIndex(meshId, sessionPubkey));
  }

  ofMember(memberId: string): Presence[] {
    return [...(this.byMember.get(memberId) ?? [])];
  }

  inMesh(meshId: string): Presence[] {
    return [...(this.byMesh.get(meshId) ?? [])];
  }

  all(): Presence[] {
    return [...this.byId.values()];
  }

  countInMesh(meshId: string): number {
    return this.byMesh.get(meshId)?.size ?? 0;
  }
}

function sessionKeyIndex(meshId: string, key: string): string {
  return `${meshId}|${key}`;
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
