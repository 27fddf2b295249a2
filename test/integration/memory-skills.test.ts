/**
 * memory (protocol.md §6.2) and skills (§6.8) against a real broker: plaintext from a reference-style raw
 * peer (full-text recall, stemmed, every word, forgotten excluded), blind tokens and envelopes through the
 * client core, per-mesh isolation, `mesh_info.memoryCount`, and coded errors for bad frames.
 */
import { describe, expect, it } from "vitest";
import { memoryQueryTokens } from "../../src/client/index.js";
import { AppClient, connectMember, meshWith, useBroker } from "../helpers/broker.js";

const broker = useBroker();

describe.concurrent("memory", () => {
  it("remembers plaintext and recalls it by stemmed words, every word matching; forget removes it", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const stored = await alice.request({
      type: "remember",
      content: "Deploying needs the VPN",
      tags: ["ops"],
    });
    expect(stored).toEqual({ type: "memory_stored", id: expect.any(String), _reqId: stored._reqId });
    await alice.request({ type: "remember", content: "The VPN password rotates monthly" });

    const found = await bob.request({ type: "recall", query: "deploy vpn" });
    expect(found).toEqual({
      type: "memory_results",
      memories: [
        {
          id: stored.id,
          content: "Deploying needs the VPN",
          tags: ["ops"],
          rememberedBy: "alice",
          rememberedAt: expect.stringMatching(/Z$/),
        },
      ],
      _reqId: found._reqId,
    });
    expect((await bob.request({ type: "recall", query: "vpn" })).memories).toHaveLength(2);
    expect((await bob.request({ type: "recall", query: "vpn kubernetes" })).memories).toEqual([]);
    expect((await bob.request({ type: "mesh_info" })).memoryCount).toBe(2);

    const forgot = await bob.request({ type: "forget", memoryId: String(stored.id) });
    expect(forgot).toMatchObject({ type: "ack", id: stored.id, messageId: stored.id, queued: false });
    expect((await bob.request({ type: "recall", query: "vpn" })).memories).toHaveLength(1);
    expect((await bob.request({ type: "mesh_info" })).memoryCount).toBe(1);
  });

  it("keeps meshes apart: another mesh neither recalls nor forgets", async () => {
    const one = await meshWith(broker(), ["alice"]);
    const two = await meshWith(broker(), ["eve"]);
    const alice = await connectMember(broker().url, one.mesh.meshId, one.m.alice!);
    const eve = await connectMember(broker().url, two.mesh.meshId, two.m.eve!);
    const stored = await alice.request({ type: "remember", content: "only for mesh one" });
    expect((await eve.request({ type: "recall", query: "mesh one" })).memories).toEqual([]);
    expect(await eve.request({ type: "forget", memoryId: String(stored.id) })).toMatchObject({
      type: "error",
      code: "not_found",
    });
  });

  it("answers bad frames with coded errors", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    expect(await alice.request({ type: "remember", content: "" })).toMatchObject({
      type: "error",
      code: "invalid_message",
      message: expect.stringContaining("content"),
    });
    expect(await alice.request({ type: "remember", content: "x", searchTokens: ["NOT-HEX"] })).toMatchObject({
      code: "invalid_message",
      message: expect.stringContaining("searchTokens.0"),
    });
    expect(await alice.request({ type: "remember", content: "x".repeat(70_000) })).toMatchObject({
      code: "invalid_message",
    });
    expect(await alice.request({ type: "recall" })).toMatchObject({ code: "invalid_message" });
    expect(await alice.request({ type: "forget", memoryId: "nope" })).toMatchObject({
      type: "error",
      code: "not_found",
      message: "no memory nope in this mesh",
    });
  });

  it("the client core encrypts, tokenizes and decrypts: the broker holds only the envelope", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await AppClient.connect(broker().url, mesh.meshId, m.alice!);
    const bob = await AppClient.connect(broker().url, mesh.meshId, m.bob!);
    const raw = await connectMember(broker().url, mesh.meshId, m.bob!);
    const { id } = await alice.client.rememberEncrypted("Grafana lives at grafana.internal", mesh.rootKey, [
      "obs",
    ]);
    expect(await bob.client.recallEncrypted("GRAFANA internal", mesh.rootKey)).toEqual([
      expect.objectContaining({ id, content: "Grafana lives at grafana.internal", tags: ["obs"] }),
    ]);
    expect(await bob.client.recallEncrypted("grafana kibana", mesh.rootKey)).toEqual([]);
    // A plaintext query finds nothing: the envelope is not indexed for full text.
    expect((await raw.request({ type: "recall", query: "grafana" })).memories).toEqual([]);
    const [stored] = await bob.client.recall("", memoryQueryTokens("grafana", mesh.rootKey));
    expect(stored?.content).toMatch(/^cm:enc1:/);
  });
});

describe.concurrent("skills", () => {
  it("shares (upsert by name), lists with substring search, gets and removes", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const bob = await connectMember(broker().url, mesh.meshId, m.bob!);
    const share = {
      type: "share_skill",
      name: "review",
      description: "Review a PR",
      instructions: "read it",
    };
    expect(await alice.request({ ...share, tags: ["Code"] })).toMatchObject({
      type: "skill_ack",
      name: "review",
      action: "shared",
    });
    await bob.request({ ...share, name: "deploy", description: "Ship", manifest: { model: "opus" } });
    await bob.request({ ...share, instructions: "read it twice" });

    expect((await alice.request({ type: "list_skills" })).skills).toEqual([
      { name: "deploy", description: "Ship", tags: [], author: "bob", createdAt: expect.any(String) },
      { name: "review", description: "Review a PR", tags: [], author: "bob", createdAt: expect.any(String) },
    ]);
    expect((await alice.request({ type: "list_skills", query: "SHI" })).skills).toHaveLength(1);
    expect((await alice.request({ type: "list_skills", query: "zzz" })).skills).toEqual([]);
    expect((await alice.request({ type: "get_skill", name: "deploy" })).skill).toEqual({
      name: "deploy",
      description: "Ship",
      instructions: "read it",
      tags: [],
      author: "bob",
      manifest: { model: "opus" },
      createdAt: expect.any(String),
    });
    expect((await alice.request({ type: "get_skill", name: "review" })).skill).toMatchObject({
      instructions: "read it twice",
    });
    expect((await alice.request({ type: "get_skill", name: "nope" })).skill).toBeNull();
    expect(await alice.request({ type: "remove_skill", name: "deploy" })).toMatchObject({
      action: "removed",
    });
    expect(await alice.request({ type: "remove_skill", name: "deploy" })).toMatchObject({
      action: "not_found",
    });
  });

  it("answers bad frames with coded errors", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice"]);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    const base = { type: "share_skill", name: "ok", description: "", instructions: "x" };
    expect(await alice.request({ ...base, name: "no spaces" })).toMatchObject({
      code: "invalid_message",
      message: expect.stringContaining("name"),
    });
    expect(await alice.request({ ...base, instructions: "" })).toMatchObject({ code: "invalid_message" });
    expect(await alice.request({ ...base, manifest: "not an object" })).toMatchObject({
      code: "invalid_message",
    });
    expect(await alice.request({ type: "get_skill" })).toMatchObject({ code: "invalid_message" });
  });
});
