/** Broker system events (protocol.md §3.6) as daemon stream events: `peer_join`, `peer_leave`, `system`. */
import type { DaemonEventName, PeerEvent } from "../../daemon-api/contract.js";
import type { PeerRole, PushFrame } from "../../protocol/index.js";

export function streamEventFor(slug: string, event: PushFrame): { name: DaemonEventName; data: unknown } {
  const data = event.eventData ?? {};
  const name = event.event ?? "unknown";
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
