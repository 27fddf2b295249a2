/**
 * `up`'s live view shows each presence and broker change once, from the event sequence a daemon really
 * forwards around a broker restart: a failed reconnect per close reason, and a `peer_join` for a peer that
 * never left as far as the view knows.
 */
import { describe, expect, it } from "vitest";
import { LiveViewTracker, type Presence } from "../../src/cli/live-view.js";

const bobDaemon: Presence = {
  mesh: "local",
  display_name: "bob",
  pubkey: "b".repeat(64),
  session_pubkey: null,
  peer_role: "control-plane",
};
const bobSession: Presence = { ...bobDaemon, session_pubkey: "5".repeat(64), peer_role: "session" };

function tracker(): LiveViewTracker {
  const t = new LiveViewTracker();
  t.reset([], [{ slug: "local", state: "connected" }]);
  return t;
}

describe("LiveViewTracker", () => {
  it("shows a join once, however often the broker announces it, and a leave only of someone shown", () => {
    const t = tracker();
    expect(t.peerEvent("peer_join", bobDaemon)).toEqual({ kind: "peer_join", peer: bobDaemon });
    expect(t.peerEvent("peer_join", bobDaemon)).toBeNull();
    expect(t.peerEvent("peer_join", { ...bobDaemon })).toBeNull();
    // Another presence of the same member is its own line.
    expect(t.peerEvent("peer_join", bobSession)).not.toBeNull();
    expect(t.peerEvent("peer_leave", bobDaemon)).toEqual({ kind: "peer_leave", peer: bobDaemon });
    expect(t.peerEvent("peer_leave", bobDaemon)).toBeNull();
    expect(t.peerEvent("peer_join", bobDaemon)).not.toBeNull();
  });

  it("counts peers of the starting snapshot as shown", () => {
    const t = new LiveViewTracker();
    t.reset([bobDaemon], [{ slug: "local", state: "connected" }]);
    expect(t.peerEvent("peer_join", bobDaemon)).toBeNull();
    expect(t.peerEvent("peer_leave", bobDaemon)).not.toBeNull();
  });

  it("shows each disconnect and each reconnect once, across failed attempts with new reasons", () => {
    const t = tracker();
    const shown: string[] = [];
    for (let restart = 0; restart < 9; restart++) {
      for (const [state, error] of [
        ["disconnected", "closed 1001 shutting down"],
        ["disconnected", "closed 1006"],
        ["disconnected", "closed 1006 ECONNREFUSED"],
        ["connected", null],
      ] as const) {
        const change = t.brokerStatus({ mesh: "local", state, last_error: error });
        if (change) shown.push(change.kind);
      }
    }
    expect(shown).toEqual(Array.from({ length: 9 }, () => ["disconnected", "reconnected"]).flat());
  });

  it("does not call the first connection a reconnect, and shows a disabled mesh once", () => {
    const t = new LiveViewTracker();
    t.reset([], [{ slug: "local", state: "connecting" }]);
    expect(t.brokerStatus({ mesh: "local", state: "connected", last_error: null })).toBeNull();
    expect(t.brokerStatus({ mesh: "local", state: "disabled", last_error: "banned" })).toEqual({
      kind: "disabled",
      mesh: "local",
      reason: "banned",
    });
    expect(t.brokerStatus({ mesh: "local", state: "disabled", last_error: "banned" })).toBeNull();
  });

  it("after a reconnect shows who came and went meanwhile, once", () => {
    const t = tracker();
    t.peerEvent("peer_join", bobDaemon);
    expect(t.resync([bobSession], "local")).toEqual([
      { kind: "peer_leave", peer: bobDaemon },
      { kind: "peer_join", peer: bobSession },
    ]);
    expect(t.resync([bobSession], "local")).toEqual([]);
    expect(t.peerEvent("peer_join", bobSession)).toBeNull();
    // Another mesh's presences are left alone by a resync of "local".
    const other = { ...bobDaemon, mesh: "team" };
    t.peerEvent("peer_join", other);
    expect(t.resync([bobSession], "local")).toEqual([]);
    expect(t.peerEvent("peer_leave", other)).not.toBeNull();
  });
});
