/**
 * Presence events (protocol.md §3.6): system pushes, live only, never queued past a tick, acked or
 * decrypted. Each presence gets them the way its hello asked: one push per event (the reference
 * behaviour), coalesced into at most one `peer_events` push per tick, or none at all.
 */
import { randomUUID } from "node:crypto";
import {
  Capability,
  PEER_EVENTS_MAX_PER_FRAME,
  PRESENCE_TICK_RECIPIENTS,
  type PeerEventName,
} from "../../protocol/index.js";
import type { Presence } from "./presence.js";
import { routableKey } from "./presence.js";
import type { PresenceRegistry } from "./registry.js";

/** How a presence takes presence events: one push each, coalesced per tick, or none. */
export type PeerEventMode = "each" | "coalesced" | "none";

export function peerEventMode(capabilities: ReadonlySet<string>): PeerEventMode {
  if (capabilities.has(Capability.noPeerEvents)) return "none";
  return capabilities.has(Capability.peerEvents) ? "coalesced" : "each";
}

/** The frame around `eventData`, serialized once and written to every recipient. */
function systemPushHead(meshId: string, event: string): string {
  const head = JSON.stringify({
    type: "push",
    subtype: "system",
    messageId: randomUUID(),
    meshId,
    senderPubkey: "system",
    priority: "low",
    nonce: "",
    ciphertext: "",
    createdAt: new Date().toISOString(),
    event,
  });
  return head.slice(0, -1);
}

export function systemPush(meshId: string, event: string, eventData: Record<string, unknown>): string {
  return `${systemPushHead(meshId, event)},"eventData":${JSON.stringify(eventData)}}`;
}

/** `{name, pubkey}` plus our additive `memberPubkey` and `peerRole`. */
export function peerEventData(p: Presence): Record<string, unknown> {
  return { name: p.displayName, pubkey: routableKey(p), memberPubkey: p.memberPubkey, peerRole: p.peerRole };
}

/** What an event is about: enough to leave out the subject (and its member) wherever it is held. */
export type EventSubject = Pick<Presence, "id" | "meshId" | "memberId">;

/**
 * Who does not hear of an event about `subject`: its own member's presences (`member`), or only the
 * subject itself (`self`), as §3.6 says per event.
 */
export type Exclusion = "member" | "self";

interface QueuedEvent {
  /** `{"event":…, …eventData}`, serialized once for every recipient. */
  json: string;
  seq: number;
  /** `m:<memberId>` or `p:<presenceId>`: the recipients that must not get it. */
  excludes: string;
}

function canReceive(q: Presence): boolean {
  return q.lease === "online" && q.socket !== null && q.socket.open;
}

interface MeshQueue {
  events: QueuedEvent[];
  timer: NodeJS.Timeout;
}

/**
 * Sends presence events: individual pushes at once to presences that declared nothing, and for
 * `peer_events` presences a queue per mesh flushed every tick into one push per recipient, holding the
 * first {@link PEER_EVENTS_MAX_PER_FRAME} events that concern it and the count of the rest. A mesh's tick
 * is `tickMs` for each started {@link PRESENCE_TICK_RECIPIENTS} recipients, so the pushes a mesh costs
 * per second stay bounded however large it grows.
 */
export class PeerEventFanout {
  readonly #pending = new Map<string, MeshQueue>();
  #seq = 0;
  #stopped = false;

  constructor(
    private readonly registry: PresenceRegistry,
    private readonly tickMs: number,
  ) {}

  /** The sequence number the next event gets: a presence registered now hears events from here on. */
  get nextSeq(): number {
    return this.#seq;
  }

  /** Sends an event about `subject` (a presence held here or, in a cluster, by another node). */
  publish(
    subject: EventSubject,
    event: PeerEventName,
    eventData: Record<string, unknown>,
    exclusion: Exclusion,
  ) {
    const meshId = subject.meshId;
    const include = (q: Presence) =>
      q.id !== subject.id && (exclusion === "self" || q.memberId !== subject.memberId) && canReceive(q);
    const each = this.registry.eventTargets(meshId, "each");
    if (each.size > 0) {
      const json = systemPush(meshId, event, eventData);
      for (const q of each) if (include(q)) q.socket?.sendRaw(json);
    }
    const recipients = this.registry.eventTargets(meshId, "coalesced").size;
    if (this.#stopped || recipients === 0) return;
    let queue = this.#pending.get(meshId);
    if (!queue) {
      const tick = this.tickMs * Math.ceil(recipients / PRESENCE_TICK_RECIPIENTS);
      const timer = setTimeout(() => this.#flush(meshId), tick).unref();
      this.#pending.set(meshId, (queue = { events: [], timer }));
    }
    queue.events.push({
      json: JSON.stringify({ event, ...eventData }),
      seq: this.#seq++,
      excludes: exclusion === "member" ? `m:${subject.memberId}` : `p:${subject.id}`,
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const queue of this.#pending.values()) clearTimeout(queue.timer);
    this.#pending.clear();
  }

  /** Writes the mesh's queued events: one `peer_events` push per recipient. */
  #flush(meshId: string): void {
    const queue = this.#pending.get(meshId);
    this.#pending.delete(meshId);
    if (queue) this.#flushMesh(meshId, queue.events);
  }

  #flushMesh(meshId: string, events: QueuedEvent[]): void {
    const first = events[0];
    if (!first) return;
    // Event indices by whom they exclude; almost every recipient is in neither and gets the shared frame.
    const excluded = new Map<string, number[]>();
    events.forEach((e, i) => {
      const list = excluded.get(e.excludes);
      if (list) list.push(i);
      else excluded.set(e.excludes, [i]);
    });
    let shared: string | null = null;
    for (const q of this.registry.eventTargets(meshId, "coalesced")) {
      if (!canReceive(q)) continue;
      const own = [...(excluded.get(`m:${q.memberId}`) ?? []), ...(excluded.get(`p:${q.id}`) ?? [])];
      if (own.length === 0 && q.peerEventsFrom <= first.seq) {
        shared ??= peerEventsFrame(meshId, events, new Set(), 0);
        q.socket?.sendRaw(shared);
        continue;
      }
      // Events queued before this presence registered are not its business.
      const start = firstAtOrAfter(events, q.peerEventsFrom);
      const skip = new Set(own.filter((i) => i >= start));
      if (events.length - start - skip.size > 0)
        q.socket?.sendRaw(peerEventsFrame(meshId, events, skip, start));
    }
  }
}

/** The `peer_events` push of `events[start…]` without the indices in `skip`, capped per frame. */
function peerEventsFrame(meshId: string, events: QueuedEvent[], skip: Set<number>, start: number): string {
  const shown: string[] = [];
  let total = 0;
  for (let i = start; i < events.length; i++) {
    if (skip.has(i)) continue;
    total += 1;
    if (shown.length < PEER_EVENTS_MAX_PER_FRAME) shown.push(events[i]!.json);
    else {
      total += events.length - i - 1 - [...skip].filter((j) => j > i).length;
      break;
    }
  }
  const omitted = total - shown.length;
  return `${systemPushHead(meshId, "peer_events")},"eventData":{"events":[${shown.join(",")}],"omitted":${omitted}}}`;
}

function firstAtOrAfter(events: QueuedEvent[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
