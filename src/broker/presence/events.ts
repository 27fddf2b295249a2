/** System-event pushes (protocol.md §3.6): live only, never queued, acked or decrypted. */
import { randomUUID } from "node:crypto";
import type { Presence } from "./presence.js";
import { routableKey } from "./presence.js";

export type SystemEvent = "peer_joined" | "peer_returned" | "peer_left" | "peer_visible" | "peer_hidden";

export function systemPush(meshId: string, event: SystemEvent, eventData: Record<string, unknown>): string {
  return JSON.stringify({
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
    eventData,
  });
}

/** `{name, pubkey}` plus our additive `memberPubkey` and `peerRole`. */
export function peerEventData(p: Presence): Record<string, unknown> {
  return { name: p.displayName, pubkey: routableKey(p), memberPubkey: p.memberPubkey, peerRole: p.peerRole };
}

/** Writes a serialized push to every open presence that `include` accepts. */
export function broadcastSystem(
  targets: Iterable<Presence>,
  json: string,
  include: (p: Presence) => boolean,
): void {
  for (const p of targets) {
    if (p.lease === "online" && p.socket?.open && include(p)) p.socket.sendRaw(json);
  }
}
