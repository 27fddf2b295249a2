/**
 * Who is online and whether each mesh's broker is connected, as `up`'s live view shows them: every change
 * once. The daemon forwards broker events as they come, which is not the same thing: after a broker
 * restart each peer that says hello again is announced as joined although nobody saw it leave (this
 * daemon was disconnected too), and each failed reconnect attempt with a new close reason is another
 * `broker_status`. The tracker keeps what the view has shown and reports only what changes it.
 */
import type { BrokerStatusEvent, PeerEvent } from "../daemon-api/contract.js";

/** A presence as the view knows it (a peer event, or a row of `peers`). */
export type Presence = Pick<PeerEvent, "mesh" | "display_name" | "pubkey" | "session_pubkey" | "peer_role">;

export interface PresenceChange {
  kind: "peer_join" | "peer_leave";
  peer: Presence;
}

export type BrokerChange =
  | { kind: "disconnected"; mesh: string; reason: string | null }
  | { kind: "reconnected"; mesh: string }
  | { kind: "disabled"; mesh: string; reason: string | null };

function keyOf(p: Presence): string {
  return `${p.mesh}\u0000${p.session_pubkey ?? p.pubkey}\u0000${p.peer_role}`;
}

export class LiveViewTracker {
  readonly #online = new Map<string, Presence>();
  /** Per mesh slug: the state last shown ("connected", or what it was when it stopped being). */
  readonly #brokers = new Map<string, BrokerStatusEvent["state"]>();

  /** Starts from a snapshot: the presences online now and each mesh's connection state. */
  reset(
    peers: readonly Presence[],
    meshes: ReadonlyArray<{ slug: string; state: BrokerStatusEvent["state"] }>,
  ) {
    this.#online.clear();
    for (const p of peers) this.#online.set(keyOf(p), p);
    this.#brokers.clear();
    for (const m of meshes) this.#brokers.set(m.slug, m.state);
  }

  /** A peer event: the change to show, or null when it changes nothing the view has shown. */
  peerEvent(kind: PresenceChange["kind"], peer: Presence): PresenceChange | null {
    const key = keyOf(peer);
    if (kind === "peer_join") {
      if (this.#online.has(key)) return null;
      this.#online.set(key, peer);
    } else {
      if (!this.#online.delete(key)) return null;
    }
    return { kind, peer };
  }

  /**
   * Who came and went while the view could not follow (a broker or daemon reconnect): the difference
   * between what it showed and `peers`, the list now. Presences of `mesh` only, when given.
   */
  resync(peers: readonly Presence[], mesh?: string): PresenceChange[] {
    const now = new Map(peers.filter((p) => mesh === undefined || p.mesh === mesh).map((p) => [keyOf(p), p]));
    const changes: PresenceChange[] = [];
    for (const [key, peer] of this.#online) {
      if ((mesh === undefined || peer.mesh === mesh) && !now.has(key)) {
        this.#online.delete(key);
        changes.push({ kind: "peer_leave", peer });
      }
    }
    for (const [key, peer] of now) {
      if (!this.#online.has(key)) {
        this.#online.set(key, peer);
        changes.push({ kind: "peer_join", peer });
      }
    }
    return changes;
  }

  /** A `broker_status` event: the change to show, or null when the view already shows that state. */
  brokerStatus(event: BrokerStatusEvent): BrokerChange | null {
    const shown = this.#brokers.get(event.mesh);
    switch (event.state) {
      case "connected":
        this.#brokers.set(event.mesh, "connected");
        return shown === "disconnected" ? { kind: "reconnected", mesh: event.mesh } : null;
      case "disconnected":
        // Every failed attempt with a new close reason is an event; the loss is shown once.
        if (shown === "disconnected" || shown === "disabled") return null;
        this.#brokers.set(event.mesh, "disconnected");
        return { kind: "disconnected", mesh: event.mesh, reason: event.last_error };
      case "disabled":
        this.#brokers.set(event.mesh, "disabled");
        return shown === "disabled" ? null : { kind: "disabled", mesh: event.mesh, reason: event.last_error };
      case "connecting":
        if (shown === undefined) this.#brokers.set(event.mesh, "connecting");
        return null;
    }
  }
}
