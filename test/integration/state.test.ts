/**
 * Shared state and contexts (protocol.md §6.1, §6.7) against a real broker, through raw peers: the
 * reference's plaintext clients, fire-and-forget `set_state`, `state_change` to every other live
 * presence, limits with their own error codes, and the plaintext context search.
 */
import { describe, expect, it } from "vitest";
import { connectMember, meshWith, useBroker, waitUntil } from "../helpers/broker.js";
import { AppClient } from "../helpers/broker.js";
import { dataKey } from "../../src/crypto/kdf.js";
import { isEncryptedJsonValue, isEncryptedValueString } from "../../src/crypto/values.js";

const broker = useBroker();
const OK = ["client_ack", "ok_replies"];

describe.concurrent("state", () => {
  it("set_state has no reply without ok_replies; get_state and list_state read it back", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const url = broker().url;
    const alice = await connectMember(url, mesh.meshId, m.alice!);
    const bob = await connectMember(url, mesh.meshId, m.bob!);
    const since = alice.mark();
    alice.send({ type: "set_state", key: "release", value: { v: "1.2", ok: true }, _reqId: "s1" });
    const change = await bob.waitFor((f) => f.type === "state_change");
    expect(change).toEqual({
      type: "state_change",
      key: "release",
      value: { v: "1.2", ok: true },
      updatedBy: "alice",
      updatedAt: expect.any(String),
    });
    // Never a state_result (a reference client would hand it to a pending get_state), never an ok.
    await alice.expectNone((f) => f._reqId === "s1" || f.type === "state_result", 200, since);

    const got = await bob.request({ type: "get_state", key: "release" });
    expect(got).toMatchObject({
      type: "state_result",
      key: "release",
      value: { v: "1.2", ok: true },
      updatedBy: "alice",
    });
    expect(new Date(got.updatedAt as string).toISOString()).toBe(got.updatedAt);
    expect(await bob.request({ type: "get_state", key: "nope" })).toMatchObject({
      type: "state_result",
      key: "nope",
      value: null,
      updatedBy: "",
      updatedAt: "",
    });
    alice.send({ type: "set_state", key: "a", value: null });
    await waitUntil(
      async () =>
        ((await bob.request({ type: "list_state" })).entries as unknown[]).length === 2 || undefined,
    );
    const list = await bob.request({ type: "list_state" });
    expect((list.entries as Array<{ key: string; value: unknown }>).map((e) => [e.key, e.value])).toEqual([
      ["a", null],
      ["release", { v: "1.2", ok: true }],
    ]);
    expect(await bob.request({ type: "mesh_info" })).toMatchObject({ stateKeys: ["a", "release"] });
  });

  it("answers ok with ok_replies; the writer gets no state_change, every other presence does", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const url = broker().url;
    const alice = await connectMember(url, mesh.meshId, m.alice!, { capabilities: OK });
    const alice2 = await connectMember(url, mesh.meshId, m.alice!, { sessionId: "second" });
    const bob = await connectMember(url, mesh.meshId, m.bob!);
    const since = alice.mark();
    expect(await alice.request({ type: "set_state", key: "k", value: "v" })).toEqual({
      type: "ok",
      _reqId: expect.any(String),
    });
    await bob.waitFor((f) => f.type === "state_change" && f.key === "k");
    await alice2.waitFor((f) => f.type === "state_change" && f.key === "k");
    await alice.expectNone((f) => f.type === "state_change", 200, since);
  });

  it("refuses a value over 32,768 bytes with too_large and a bad key with invalid_message", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const url = broker().url;
    const alice = await connectMember(url, mesh.meshId, m.alice!, { capabilities: OK });
    const bob = await connectMember(url, mesh.meshId, m.bob!);
    const since = bob.mark();
    const big = "x".repeat(40_000);
    const refused = await alice.request({ type: "set_state", key: "big", value: big });
    expect(refused).toMatchObject({ type: "error", code: "too_large" });
    expect(refused.message).toMatch(/40002 bytes.*32768/);
    // Exactly at the limit is fine: 32,766 characters plus the quotes.
    expect(await alice.request({ type: "set_state", key: "edge", value: "y".repeat(32_766) })).toMatchObject({
      type: "ok",
    });
    expect(await alice.request({ type: "set_state", key: "", value: 1 })).toMatchObject({
      type: "error",
      code: "invalid_message",
    });
    expect(await alice.request({ type: "set_state", key: "k".repeat(257), value: 1 })).toMatchObject({
      type: "error",
      code: "invalid_message",
    });
    expect(await alice.request({ type: "set_state", key: "novalue" })).toMatchObject({
      type: "error",
      code: "invalid_message",
      message: expect.stringContaining("value"),
    });
    expect(await alice.request({ type: "get_state", key: "big" })).toMatchObject({ value: null });
    await bob.waitFor((f) => f.type === "state_change" && f.key === "edge", { since });
    expect(bob.frames.slice(since).filter((f) => f.type === "state_change")).toHaveLength(1);
  });

  it("refuses a frame nested 100,000 deep with malformed_frame; the connection and the state stay", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!, { capabilities: OK });
    // Brackets inside strings (after an escaped quote, too) are text, not nesting.
    const before = `"\\[${"[{".repeat(500)}`;
    expect(await alice.request({ type: "set_state", key: "deep", value: before })).toMatchObject({
      type: "ok",
    });
    const since = alice.mark();
    const value = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    alice.sendText(`{"type":"set_state","key":"deep","value":${value},"_reqId":"deep-1"}`);
    const refused = await alice.waitFor((f) => f.type === "error", { since });
    expect(refused).toMatchObject({
      code: "malformed_frame",
      message: expect.stringMatching(/nested deeper than \d+ levels/),
      _reqId: "deep-1",
    });
    expect(alice.open).toBe(true);
    expect(await alice.request({ type: "get_state", key: "deep" })).toMatchObject({ value: before });
  });

  it("our client core encrypts values and decrypts them on read and in state_change", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const url = broker().url;
    const app = await AppClient.connect(url, mesh.meshId, m.alice!);
    const bob = await connectMember(url, mesh.meshId, m.bob!);
    const rootKey = mesh.rootKey;
    await app.client.setState("secret", { plan: "ship friday" }, { rootKey });
    const change = await bob.waitFor((f) => f.type === "state_change" && f.key === "secret");
    expect(isEncryptedJsonValue(change.value)).toBe(true);
    expect(JSON.stringify(change)).not.toContain("ship friday");
    expect(await app.client.getState("secret", { rootKey })).toMatchObject({
      value: { plan: "ship friday" },
    });
    // Plaintext from a reference client reads back as it is.
    bob.send({ type: "set_state", key: "plain", value: [1, 2] });
    await waitUntil(
      async () => (await app.client.getState("plain", { rootKey })).value !== null || undefined,
    );
    expect((await app.client.listState({ rootKey })).map((e) => [e.key, e.value])).toEqual([
      ["plain", [1, 2]],
      ["secret", { plan: "ship friday" }],
    ]);
    // Too large once encrypted: refused before it is sent.
    await expect(app.client.setState("big", "z".repeat(30_000), { rootKey })).rejects.toMatchObject({
      code: "too_large",
    });
    expect(dataKey(rootKey)).toHaveLength(32);
  });
});

describe.concurrent("contexts", () => {
  it("shares one context per member, announces it as _context:<name>, lists and searches plaintext", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob", "carol"]);
    const url = broker().url;
    const alice = await connectMember(url, mesh.meshId, m.alice!);
    const bob = await connectMember(url, mesh.meshId, m.bob!);
    const carol = await connectMember(url, mesh.meshId, m.carol!);
    const shared = await alice.request({
      type: "share_context",
      summary: "Refactoring the Auth middleware",
      filesRead: ["src/auth.ts"],
      keyFindings: ["tokens never expire"],
      tags: ["security"],
    });
    expect(shared).toMatchObject({ type: "context_shared", id: expect.any(String) });
    expect(await bob.waitFor((f) => f.type === "state_change" && f.key === "_context:alice")).toMatchObject({
      value: "Refactoring the Auth middleware",
      updatedBy: "alice",
    });
    await carol.waitFor((f) => f.type === "state_change" && f.key === "_context:alice");
    await bob.request({ type: "share_context", summary: "billing exports", tags: ["db"] });

    // Substring, any case; or tag equality.
    const byWord = await carol.request({ type: "get_context", query: "auth MIDDLE" });
    expect(byWord.contexts).toEqual([
      {
        peerName: "alice",
        summary: "Refactoring the Auth middleware",
        filesRead: ["src/auth.ts"],
        keyFindings: ["tokens never expire"],
        tags: ["security"],
        updatedAt: expect.any(String),
      },
    ]);
    expect(((await carol.request({ type: "get_context", query: "db" })).contexts as unknown[]).length).toBe(
      1,
    );
    expect((await carol.request({ type: "get_context", query: "secur" })).contexts).toEqual([]);
    expect((await carol.request({ type: "get_context", query: "nothing" })).contexts).toEqual([]);

    // A second share replaces the first and keeps its id.
    const again = await alice.request({ type: "share_context", summary: "now on docs" });
    expect(again.id).toBe(shared.id);
    const list = await carol.request({ type: "list_contexts" });
    expect(
      (list.contexts as Array<{ peerName: string; summary: string }>).map((c) => [c.peerName, c.summary]),
    ).toEqual([
      ["alice", "now on docs"],
      ["bob", "billing exports"],
    ]);
  });

  it("refuses over-long fields and an empty query with invalid_message", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    expect(await alice.request({ type: "share_context", summary: "s".repeat(20_000) })).toMatchObject({
      code: "invalid_message",
      message: expect.stringContaining("summary"),
    });
    expect(
      await alice.request({ type: "share_context", summary: "x", tags: ["t".repeat(65)] }),
    ).toMatchObject({
      code: "invalid_message",
      message: expect.stringContaining("tags"),
    });
    expect(await alice.request({ type: "get_context", query: "" })).toMatchObject({
      code: "invalid_message",
    });
  });

  it("our client core encrypts summary, files and findings, and searches after decrypting", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const url = broker().url;
    const app = await AppClient.connect(url, mesh.meshId, m.alice!);
    const bob = await connectMember(url, mesh.meshId, m.bob!);
    const rootKey = mesh.rootKey;
    await app.client.shareContext(
      {
        summary: "Migrating Postgres",
        filesRead: ["db/schema.sql"],
        keyFindings: ["needs downtime"],
        tags: ["db"],
      },
      { rootKey },
    );
    const raw = await bob.request({ type: "list_contexts" });
    const entry = (raw.contexts as Array<Record<string, unknown>>)[0]!;
    expect(isEncryptedValueString(entry.summary)).toBe(true);
    expect(JSON.stringify(raw)).not.toMatch(/Postgres|schema\.sql|downtime/);
    // The broker's search sees only the tag.
    expect((await bob.request({ type: "get_context", query: "postgres" })).contexts).toEqual([]);
    expect(((await bob.request({ type: "get_context", query: "db" })).contexts as unknown[]).length).toBe(1);
    // Our client finds it by a decrypted word.
    expect(await app.client.getContext("postgres", { rootKey })).toEqual([
      {
        peerName: "alice",
        summary: "Migrating Postgres",
        filesRead: ["db/schema.sql"],
        keyFindings: ["needs downtime"],
        tags: ["db"],
        updatedAt: expect.any(String),
      },
    ]);
  });
});
