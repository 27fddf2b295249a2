import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InboxStore, type NewInboxRow, type Viewer } from "../../src/daemon/inbox/store.js";

let dir: string;
let store: InboxStore;
let seq = 0;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "cm-inbox-"));
  store = await InboxStore.open(join(dir, "inbox.db"));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const S1 = "1".repeat(64);
const S2 = "2".repeat(64);
const member: Viewer = { session: null };
const s1: Viewer = { session: { pubkey: S1, meshId: "m1" } };

function row(body: string, fields: Partial<NewInboxRow> = {}): NewInboxRow {
  seq += 1;
  const now = Date.now();
  return {
    id: `id${seq}`.padEnd(32, "x"),
    dedupe_key: `m1|b|id${seq}`,
    event_id: seq,
    mesh_id: "m1",
    mesh_slug: "one",
    client_message_id: null,
    session_pubkey: null,
    recipient_pubkey: null,
    from_name: "peer",
    from_pubkey: "f".repeat(64),
    from_session_pubkey: null,
    target_spec: "*",
    body,
    encrypted: true,
    undecryptable: false,
    priority: "next",
    topic: null,
    reply_to: null,
    sent_at: new Date(now).toISOString(),
    received_at: new Date(now).toISOString(),
    received_ms: now,
    ...fields,
  };
}

describe("InboxStore", () => {
  it("is a 0600 file", () => {
    expect(statSync(join(dir, "inbox.db")).mode & 0o777).toBe(0o600);
  });

  it("stores a dedupe key once", () => {
    expect(store.insert(row("a", { dedupe_key: "k" }))).toBe(true);
    expect(store.insert(row("a again", { dedupe_key: "k" }))).toBe(false);
    expect(store.list(member, { limit: 10 }).messages.map((m) => m.body)).toEqual(["a"]);
  });

  it("shows a session its own and its mesh's member-level messages; the member only member-level", () => {
    store.insert(row("member m1"));
    store.insert(row("member m2", { mesh_id: "m2" }));
    store.insert(row("s1", { session_pubkey: S1 }));
    store.insert(row("s2", { session_pubkey: S2 }));
    const live = [S1, S2];
    expect(store.list(s1, { limit: 10 }).messages.map((m) => m.body)).toEqual(["member m1", "s1"]);
    expect(store.list(member, { limit: 10, liveSessions: live }).messages.map((m) => m.body)).toEqual([
      "member m1",
      "member m2",
    ]);
    expect(
      store.list(member, { limit: 10, meshId: "m2", liveSessions: live }).messages.map((m) => m.body),
    ).toEqual(["member m2"]);
  });

  it("keeps a message for an ended session with it: in the member's inbox, never in a lane but its own", () => {
    store.insert(row("member m1"));
    store.insert(row("for ended s2", { session_pubkey: S2 }));
    const read = store.list(member, { limit: 10, liveSessions: [S1] }).messages;
    expect(read.map((m) => [m.body, m.for_session])).toEqual([
      ["member m1", null],
      ["for ended s2", S2],
    ]);
    // Lanes: ambient callers and other sessions never get it; the session itself (resumed) does.
    expect(store.list(member, { limit: 10, scope: "lane" }).messages.map((m) => m.body)).toEqual([
      "member m1",
    ]);
    expect(store.list(s1, { limit: 10, scope: "lane" }).messages.map((m) => m.body)).toEqual(["member m1"]);
    const resumed: Viewer = { session: { pubkey: S2, meshId: "m1", registeredMs: Date.now() + 60_000 } };
    expect(store.list(resumed, { limit: 10, scope: "lane" }).messages.map((m) => m.body)).toEqual([
      "for ended s2",
    ]);
  });

  it("reserves for one lane at a time; a lapsed reservation gives the message back", () => {
    const one = row("one");
    store.insert(one);
    const now = Date.now();
    expect(store.reserve(s1, [one.id], 1_000, now)).toEqual([one.id]);
    expect(store.reserve(s1, [one.id], 1_000, now + 10)).toEqual([]);
    expect(store.list(s1, { unread: true, limit: 10, scope: "lane" }).messages).toEqual([]);
    // Another viewer's reservations are its own.
    expect(store.reserve(member, [one.id], 1_000, now)).toEqual([one.id]);
    // Lapsed without a mark: free again, still unread.
    expect(store.reserve(s1, [one.id], 1_000, now + 1_001)).toEqual([one.id]);
    expect(store.markSurfaced(s1, [one.id], "prompt")).toBe(1);
    expect(store.reserve(s1, [one.id], 1_000, now + 5_000)).toEqual([]);
    expect(store.lastSurfacedAt("prompt")).not.toBeNull();
    expect(store.lastSurfacedAt("channel")).toBeNull();
  });

  it("keeps surfaced marks per viewer and counts unread", () => {
    const first = row("one");
    store.insert(first);
    store.insert(row("two"));
    store.insert(row("three"));
    expect(store.markSurfaced(s1, [first.id], "prompt")).toBe(1);
    expect(store.markSurfaced(s1, [first.id], "prompt")).toBe(0);
    const unreadS1 = store.list(s1, { unread: true, limit: 1 });
    expect(unreadS1).toMatchObject({ total: 2, messages: [{ body: "two", surfaced: false }] });
    expect(store.list(member, { unread: true, limit: 10 }).total).toBe(3);
  });

  it("marks by client message id too, but never messages the viewer cannot see", () => {
    store.insert(row("by client id", { client_message_id: "cid-9" }));
    store.insert(row("for s2", { session_pubkey: S2, client_message_id: "cid-10" }));
    expect(store.markSurfaced(s1, ["cid-9", "cid-10"], null)).toBe(1);
  });

  it("lists the newest rows within the limit, oldest first", () => {
    for (const body of ["a", "b", "c", "d"]) store.insert(row(body));
    expect(store.list(member, { limit: 2 }).messages.map((m) => m.body)).toEqual(["c", "d"]);
  });

  it("filters by since and deletes rows past retention", () => {
    const old = Date.now() - 40 * 24 * 3_600_000;
    store.insert(row("old", { received_ms: old, received_at: new Date(old).toISOString() }));
    store.insert(row("new"));
    expect(
      store.list(member, { limit: 10, sinceMs: Date.now() - 60_000 }).messages.map((m) => m.body),
    ).toEqual(["new"]);
    expect(store.prune(Date.now() - 30 * 24 * 3_600_000)).toBe(1);
    expect(store.list(member, { limit: 10 }).messages.map((m) => m.body)).toEqual(["new"]);
  });

  it("replays rows after an event id, for the viewer only", () => {
    const a = row("a", { event_id: 100 });
    store.insert(a);
    store.insert(row("b", { event_id: 101, session_pubkey: S2 }));
    store.insert(row("c", { event_id: 102 }));
    expect(store.since(s1, 100).map((r) => r.message.body)).toEqual(["c"]);
    expect(store.maxEventId()).toBe(102);
  });
});
