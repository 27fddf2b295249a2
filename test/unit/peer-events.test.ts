/** Choosing presence events in the hello, and reading them in either form (protocol.md §3.6). */
import { describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/index.js";
import { peerEventsOf, type SystemEvent } from "../../src/client/index.js";
import { helloProfile, type MeshClientOptions } from "../../src/client/options.js";

const member = generateIdentity();
const base: MeshClientOptions = {
  url: "ws://127.0.0.1:1/ws",
  meshId: "mesh",
  identity: { memberId: "m", publicKey: member.publicKey, secretKey: member.secretKey },
};

function systemPush(event: string, eventData: Record<string, unknown>): SystemEvent {
  return {
    type: "push",
    subtype: "system",
    messageId: "00000000-0000-0000-0000-000000000000",
    meshId: "mesh",
    senderPubkey: "system",
    priority: "low",
    nonce: "",
    ciphertext: "",
    createdAt: new Date(0).toISOString(),
    event,
    eventData,
  };
}

describe("presence events", () => {
  it("asks for them in the hello's capabilities as chosen, and leaves given capabilities alone otherwise", () => {
    const caps = (options: Partial<MeshClientOptions>) => helloProfile({ ...base, ...options }).capabilities;
    expect(caps({})).toEqual(["client_ack", "ok_replies", "body_version"]);
    expect(caps({ presenceEvents: "coalesced" })).toEqual([
      "client_ack",
      "ok_replies",
      "body_version",
      "peer_events",
    ]);
    expect(caps({ presenceEvents: "none", capabilities: ["client_ack", "peer_events"] })).toEqual([
      "client_ack",
      "no_peer_events",
    ]);
    expect(caps({ presenceEvents: "each", capabilities: ["no_peer_events", "no_inbox"] })).toEqual([
      "no_inbox",
    ]);
    expect(caps({ capabilities: ["peer_events"] })).toEqual(["peer_events"]);
  });

  it("reads a coalesced push and a single event the same way, and nothing else", () => {
    const bob = { name: "bob", pubkey: "b".repeat(64), memberPubkey: "b".repeat(64), peerRole: "session" };
    const coalesced = systemPush("peer_events", {
      events: [
        { event: "peer_joined", ...bob, groups: [] },
        { event: "peer_left", ...bob },
      ],
      omitted: 4,
    });
    expect(peerEventsOf(coalesced)).toEqual({
      events: [
        { event: "peer_joined", ...bob, groups: [] },
        { event: "peer_left", ...bob },
      ],
      omitted: 4,
    });
    expect(peerEventsOf(systemPush("peer_hidden", bob))).toEqual({
      events: [{ event: "peer_hidden", ...bob }],
      omitted: 0,
    });
    expect(peerEventsOf(systemPush("topic_key_needed", { topicId: "t" }))).toBeNull();
    expect(peerEventsOf(systemPush("peer_events", { events: "nope", omitted: 0 }))).toBeNull();
  });
});
