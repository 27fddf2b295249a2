import { describe, expect, it } from "vitest";
import {
  editDistance,
  resolveTarget,
  type LivePeer,
  type RosterMember,
} from "../../src/daemon-api/resolve-target.js";

const key = (c: string): string => c.repeat(64);
const alice: RosterMember = { memberId: "m-a", pubkey: key("a"), displayName: "alice", online: true };
const bob: RosterMember = { memberId: "m-b", pubkey: key("b"), displayName: "bob", online: false };
const carol: RosterMember = {
  memberId: "m-c",
  pubkey: `c0ffee${"1".repeat(58)}`,
  displayName: "carol",
  online: true,
};
const carl: RosterMember = {
  memberId: "m-d",
  pubkey: `c0ffef${"2".repeat(58)}`,
  displayName: "carl",
  online: true,
};
const members = [alice, bob, carol, carl];

const session = (pubkey: string, member: RosterMember, displayName = member.displayName): LivePeer => ({
  pubkey,
  memberPubkey: member.pubkey,
  displayName,
  peerRole: "session",
});
const controlPlane = (member: RosterMember): LivePeer => ({
  pubkey: member.pubkey,
  memberPubkey: member.pubkey,
  displayName: member.displayName,
  peerRole: "control-plane",
});

function resolve(input: string, peers: LivePeer[] = []) {
  return resolveTarget({ input, members, peers, selfMemberPubkey: alice.pubkey });
}

describe("resolveTarget", () => {
  it("resolves broadcast, groups and topics without looking anyone up", () => {
    expect(resolve("*")).toMatchObject({ ok: true, target: { spec: "*", kind: "broadcast" } });
    expect(resolve("@all")).toMatchObject({ ok: true, target: { spec: "@all", kind: "broadcast" } });
    expect(resolve("@team/backend")).toMatchObject({
      ok: true,
      target: { spec: "@team/backend", kind: "group" },
    });
    expect(resolve("#general")).toMatchObject({ ok: true, target: { spec: "#general", kind: "topic" } });
  });

  it("refuses malformed group names", () => {
    expect(resolve("@a//b")).toMatchObject({ ok: false, error: "invalid_target" });
    expect(resolve("@")).toMatchObject({ ok: false, error: "invalid_target" });
  });

  it("resolves a display name of an offline member to its member key", () => {
    expect(resolve("bob")).toMatchObject({
      ok: true,
      target: { spec: bob.pubkey, kind: "member", recipientPubkey: bob.pubkey, online: false },
    });
  });

  it("matches names case-insensitively when there is no exact match", () => {
    expect(resolve("BOB")).toMatchObject({ ok: true, target: { spec: bob.pubkey } });
  });

  it("refuses a name held by a member and its session, listing both (never picks one quietly)", () => {
    const s = session(key("5"), alice);
    const result = resolve("alice", [controlPlane(alice), s]);
    expect(result).toMatchObject({
      ok: false,
      error: "ambiguous_target",
      message: expect.stringMatching(/is both a member .* and one of its live sessions/),
    });
    if (!result.ok) {
      expect(result.candidates.map((c) => [c.kind, c.pubkey, c.session_pubkey])).toEqual([
        ["session", alice.pubkey, s.pubkey],
        ["member", alice.pubkey, null],
      ]);
    }
    // A key prefix chooses.
    expect(resolve(s.pubkey.slice(0, 8), [controlPlane(alice), s])).toMatchObject({
      ok: true,
      target: { spec: s.pubkey, kind: "session" },
    });
  });

  it("asks when a member has two sessions with its name", () => {
    const result = resolve("alice", [session(key("5"), alice), session(key("6"), alice)]);
    expect(result).toMatchObject({ ok: false, error: "ambiguous_target" });
    if (!result.ok)
      expect(result.candidates.map((c) => c.session_pubkey)).toEqual([key("5"), key("6"), null]);
  });

  it("asks when a name belongs to a member and to another member's session", () => {
    const result = resolve("bob", [session(key("7"), carol, "bob")]);
    expect(result).toMatchObject({ ok: false, error: "ambiguous_target" });
    if (!result.ok) {
      expect(result.candidates).toHaveLength(2);
      expect(result.candidates.map((c) => c.kind).sort()).toEqual(["member", "session"]);
    }
  });

  it("resolves a session by its own name", () => {
    const s = session(key("8"), carol, "reviewer");
    expect(resolve("reviewer", [s])).toMatchObject({ ok: true, target: { spec: s.pubkey, kind: "session" } });
  });

  it("resolves a full key to a live session first, then a member, else passes it through", () => {
    const s = session(key("9"), carol);
    expect(resolve(key("9"), [s])).toMatchObject({
      ok: true,
      target: { kind: "session", memberPubkey: carol.pubkey },
    });
    expect(resolve(key("B"))).toMatchObject({ ok: true, target: { spec: key("b"), kind: "member" } });
    expect(resolve(key("e"))).toMatchObject({ ok: true, target: { spec: key("e"), online: false } });
  });

  it("resolves a unique 4+ hex prefix of a member or session key", () => {
    expect(resolve("bbbb")).toMatchObject({ ok: true, target: { spec: bob.pubkey, kind: "member" } });
    expect(resolve("c0ffee")).toMatchObject({ ok: true, target: { spec: carol.pubkey } });
    const s = session(`d00d${"3".repeat(60)}`, bob);
    expect(resolve("d00d3", [s])).toMatchObject({ ok: true, target: { spec: s.pubkey, kind: "session" } });
  });

  it("refuses an ambiguous prefix with every match as a candidate", () => {
    const result = resolve("c0ff");
    expect(result).toMatchObject({ ok: false, error: "ambiguous_target" });
    if (!result.ok) expect(result.candidates.map((c) => c.display_name).sort()).toEqual(["carl", "carol"]);
  });

  it("never resolves a prefix shorter than 4 characters", () => {
    expect(resolve("bbb")).toMatchObject({ ok: false, error: "unknown_target" });
  });

  it("refuses a name that is another member's key prefix, listing both (never the impostor alone)", () => {
    for (const prefix of [
      bob.pubkey.slice(0, 8),
      bob.pubkey.slice(0, 4),
      bob.pubkey.slice(0, 8).toUpperCase(),
    ]) {
      const impostor: RosterMember = { memberId: "m-i", pubkey: key("9"), displayName: prefix, online: true };
      const result = resolveTarget({
        input: prefix.toLowerCase(),
        members: [...members, impostor],
        peers: [],
      });
      expect(result).toMatchObject({
        ok: false,
        error: "ambiguous_target",
        message: expect.stringMatching(/is both the display name of .* and a key prefix of bob; .*full key/),
      });
      if (!result.ok) expect(result.candidates.map((c) => c.pubkey)).toEqual([impostor.pubkey, bob.pubkey]);
      // The full key still reaches bob, and the impostor's own key prefix reaches the impostor.
      const all = [...members, impostor];
      expect(resolveTarget({ input: bob.pubkey, members: all, peers: [] })).toMatchObject({
        ok: true,
        target: { spec: bob.pubkey },
      });
      expect(resolveTarget({ input: "9999", members: all, peers: [] })).toMatchObject({
        ok: true,
        target: { spec: impostor.pubkey },
      });
    }
  });

  it("resolves a hex-looking name when its key prefix reading finds only the same member", () => {
    const cafe: RosterMember = {
      memberId: "m-e",
      pubkey: `cafe${"4".repeat(60)}`,
      displayName: "cafe",
      online: true,
    };
    expect(resolveTarget({ input: "cafe", members: [...members, cafe], peers: [] })).toMatchObject({
      ok: true,
      target: { spec: cafe.pubkey, kind: "member" },
    });
    // Once someone else holds a name that is a longer prefix of cafe's key, that name alone is ambiguous.
    const impostor: RosterMember = {
      memberId: "m-i",
      pubkey: key("9"),
      displayName: cafe.pubkey.slice(0, 6),
      online: true,
    };
    const all = [...members, cafe, impostor];
    expect(resolveTarget({ input: impostor.displayName, members: all, peers: [] })).toMatchObject({
      ok: false,
      error: "ambiguous_target",
    });
  });

  it("refuses a session named after another member's key prefix", () => {
    const s = session(key("5"), carol, bob.pubkey.slice(0, 6));
    const result = resolve(bob.pubkey.slice(0, 6), [s]);
    expect(result).toMatchObject({ ok: false, error: "ambiguous_target" });
    if (!result.ok) {
      expect(result.candidates.map((c) => [c.kind, c.session_pubkey ?? c.pubkey])).toEqual([
        ["session", s.pubkey],
        ["member", bob.pubkey],
      ]);
    }
  });

  it("refuses unknown names with the closest names as candidates", () => {
    const result = resolve("alcie");
    expect(result).toMatchObject({ ok: false, error: "unknown_target" });
    if (!result.ok) expect(result.candidates[0]?.display_name).toBe("alice");
    const nothing = resolve("zzzzzzzzzz");
    expect(nothing).toMatchObject({ ok: false, error: "unknown_target", candidates: [] });
  });

  it("does not treat control-plane presences as sessions", () => {
    const result = resolve("carol", [controlPlane(carol)]);
    expect(result).toMatchObject({ ok: true, target: { kind: "member", spec: carol.pubkey } });
  });

  it("reports whether anyone else is online for multicast", () => {
    const onlyMe = resolveTarget({
      input: "*",
      members: [alice, bob],
      peers: [],
      selfMemberPubkey: alice.pubkey,
    });
    expect(onlyMe).toMatchObject({ ok: true, target: { online: false } });
    expect(resolve("*")).toMatchObject({ ok: true, target: { online: true } });
  });
});

describe("editDistance", () => {
  it("counts insertions, deletions and substitutions", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });
});
