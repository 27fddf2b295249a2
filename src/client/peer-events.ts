/** Presence events (protocol.md §3.6) in one shape, whether they came one per push or coalesced. */
import { CoalescedPeerEvent, PEER_EVENT_NAMES, PeerEventsData } from "../protocol/frames.js";
import type { SystemEvent } from "./types.js";

const NAMES: ReadonlySet<string> = new Set(PEER_EVENT_NAMES);

/**
 * The presence events a system push carries: the events of a `peer_events` push and how many it
 * omitted, or the one event of a `peer_joined` / `peer_left` / … push. Null for any other system
 * event, or one whose data does not have the protocol's shape.
 */
export function peerEventsOf(push: SystemEvent): PeerEventsData | null {
  if (push.event === "peer_events") {
    const parsed = PeerEventsData.safeParse(push.eventData);
    return parsed.success ? parsed.data : null;
  }
  if (push.event === undefined || !NAMES.has(push.event)) return null;
  const parsed = CoalescedPeerEvent.safeParse({ ...push.eventData, event: push.event });
  return parsed.success ? { events: [parsed.data], omitted: 0 } : null;
}
