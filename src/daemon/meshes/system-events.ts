/**
 * Broker system events (protocol.md §3.6) as daemon stream events: `peer_join`, `peer_leave`, `system`.
 * A coalesced `peer_events` push becomes one stream event per event it holds, plus a `system`
 * `peers_changed` event when it omitted some (a viewer then lists the peers again).
 */
import type { DaemonEventName, PeerEvent } from "../../daemon-api/contract.js";
import { PeerEventsData, type PeerRole, type PushFrame } from "../../protocol/index.js";

export interface StreamEvent {
  name: DaemonEventName;
  data: unknown;
}

export function streamEventsFor(slug: string, push: PushFrame): StreamEvent[] {
  const data = push.eventData ?? {};
  const name = push.event ?? "unknown";
  if (name !== "peer_events") return [streamEventFor(slug, name, data)];
  const parsed = PeerEventsData.safeParse(data);
  if (!parsed.success) return [{ name: "system", data: { mesh: slug, event: name, data } }];
  const { events, omitted } = parsed.data;
  const out = events.map(({ event, ...fields }) => streamEventFor(slug, event, fields));
  if (omitted > 0) {
    out.push({
      name: "system",
      data: { mesh: slug, event: "peers_changed", data: { shown: events.length, omitted } },
    });
  }
  return out;
}

function streamEventFor(slug: string, name: string, data: Record<string, unknown>): StreamEvent {
  // Shared-state pushes (protocol.md §6.3, §6.9a, §6.6) are stream events of their own.
  if (name === "task_change") return { name: "task", data: { mesh: slug, ...data } };
  if (name === "lease_change") return { name: "lease", data: { mesh: slug, ...data } };
  if (name === "file_shared") return { name: "file_shared", data: { mesh: slug, ...data } };
  if (name !== "peer_joined" && name !== "peer_returned" && name !== "peer_left") {
    return { name: "system", data: { mesh: slug, event: name, data } };
  }
  const role = stringField(data, "peerRole");
  const peerRole: PeerRole = role === "control-plane" || role === "service" ? role : "session";
  // `pubkey` is the routable key (the session key of a session presence); `memberPubkey` is ours to add.
  const routeKey = stringField(data, "pubkey") ?? "";
  const peer: PeerEvent = {
    mesh: slug,
    display_name: stringField(data, "name") ?? "",
    pubkey: stringField(data, "memberPubkey") ?? routeKey,
    session_pubkey: peerRole === "session" ? routeKey : null,
    peer_role: peerRole,
  };
  return { name: name === "peer_left" ? "peer_leave" : "peer_join", data: peer };
}

function stringField(data: Record<string, unknown>, key: string): string | undefined {
  const value = data[key];
  return typeof value === "string" ? value : undefined;
}
