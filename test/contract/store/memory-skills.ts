/**
 * The memory (protocol.md §6.2) and skills (§6.8) store methods: the same observable results on every
 * adapter — full-text recall (English stemming, every word must match, relevance then recency), blind-token
 * recall (all tokens, newest first), soft deletes, and skill upserts.
 */
import { describe, expect, it } from "vitest";
import type { NewMemory, SkillRow, Store } from "../../../src/broker/store/port/index.js";
import { queryWords } from "../../../src/broker/memory/full-text.js";
import type { ContractContext } from "./context.js";
import { T0, seedMesh, uid } from "./fixtures.js";

export function memory(meshId: string, memberId: string, overrides: Partial<NewMemory> = {}): NewMemory {
  return {
    id: uid("memory"),
    meshId,
    content: "a memory",
    tags: [],
    memberId,
    rememberedBy: "owner",
    createdAt: T0,
    searchTokens: [],
    fullText: true,
    ...overrides,
  };
}

const token = (n: number): string => n.toString(16).padStart(32, "0");

async function recallText(store: Store, meshId: string, query: string): Promise<string[]> {
  return (await store.recallMemoriesByText(meshId, queryWords(query), 20)).map((m) => m.content);
}

export function skill(meshId: string, memberId: string, overrides: Partial<SkillRow> = {}): SkillRow {
  return {
    meshId,
    name: "review",
    description: "Review a pull request",
    instructions: "Read the diff first.",
    tags: ["code"],
    memberId,
    author: "owner",
    manifest: null,
    createdAt: T0,
    ...overrides,
  };
}

export function memorySkillsContract(ctx: ContractContext): void {
  describe("memories", () => {
    it("full-text recall stems English words, needs every word, and leaves out forgotten and other meshes", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const other = await seedMesh(store, 0);
      const owner = mesh.owner.id;
      await store.rememberMemory(
        memory(mesh.id, owner, { content: "Deploying the billing service needs a VPN" }),
      );
      await store.rememberMemory(
        memory(mesh.id, owner, { content: "The billing database runs on port 5433", createdAt: T0 + 1 }),
      );
      const gone = memory(mesh.id, owner, { content: "billing deploys are frozen", createdAt: T0 + 2 });
      await store.rememberMemory(gone);
      await store.rememberMemory(memory(other.id, other.owner.id, { content: "billing deploys elsewhere" }));
      expect(await store.forgetMemory(mesh.id, gone.id, T0 + 3)).toBe("forgotten");

      expect(await recallText(store, mesh.id, "deploy billing")).toEqual([
        "Deploying the billing service needs a VPN",
      ]);
      expect(await recallText(store, mesh.id, "BILLING")).toEqual([
        "The billing database runs on port 5433",
        "Deploying the billing service needs a VPN",
      ]);
      // Every word must match; stop words are not words to match.
      expect(await recallText(store, mesh.id, "billing kubernetes")).toEqual([]);
      expect(await recallText(store, mesh.id, "the billing")).toHaveLength(2);
      expect(await recallText(store, mesh.id, "the")).toEqual([]);
      // Diacritics are part of a word on both adapters.
      await store.rememberMemory(
        memory(mesh.id, owner, { content: "the café opens at nine", createdAt: T0 + 4 }),
      );
      expect(await recallText(store, mesh.id, "CAFÉ")).toEqual(["the café opens at nine"]);
      expect(await recallText(store, mesh.id, "cafe")).toEqual([]);
      expect(await store.countMemories(mesh.id)).toBe(3);
      expect(await store.countMemories(other.id)).toBe(1);
    });

    it("ranks by relevance, then newest first, and returns at most the limit", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const owner = mesh.owner.id;
      await store.rememberMemory(
        memory(mesh.id, owner, { content: "cache cache cache warmup", createdAt: T0 }),
      );
      await store.rememberMemory(
        memory(mesh.id, owner, { content: "cache alpha beta gamma", createdAt: T0 + 1 }),
      );
      await store.rememberMemory(
        memory(mesh.id, owner, { content: "cache delta beta gamma", createdAt: T0 + 2 }),
      );
      expect(await recallText(store, mesh.id, "cache")).toEqual([
        "cache cache cache warmup",
        "cache delta beta gamma",
        "cache alpha beta gamma",
      ]);
      for (let i = 0; i < 25; i++) {
        await store.rememberMemory(memory(mesh.id, owner, { content: `note ${i}`, createdAt: T0 + 10 + i }));
      }
      const top = await store.recallMemoriesByText(mesh.id, ["note"], 20);
      expect(top).toHaveLength(20);
      expect(top[0]?.content).toBe("note 24");
    });

    it("token recall needs every token, newest first; encrypted memories are not full-text indexed", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const owner = mesh.owner.id;
      const a = memory(mesh.id, owner, {
        content: "cm:enc1:AAAA:BBBB",
        searchTokens: [token(1), token(2)],
        fullText: false,
        tags: ["ops"],
        createdAt: T0,
      });
      const b = memory(mesh.id, owner, {
        content: "cm:enc1:CCCC:DDDD",
        searchTokens: [token(1), token(3)],
        fullText: false,
        createdAt: T0 + 1,
      });
      await store.rememberMemory(a);
      await store.rememberMemory(b);
      const ids = async (tokens: string[]) =>
        (await store.recallMemoriesByTokens(mesh.id, tokens, 20)).map((m) => m.id);
      expect(await ids([token(1)])).toEqual([b.id, a.id]);
      expect(await ids([token(1), token(2)])).toEqual([a.id]);
      expect(await ids([token(2), token(3)])).toEqual([]);
      expect(await ids([token(1), token(1), token(2)])).toEqual([a.id]);
      expect(await store.recallMemoriesByText(mesh.id, ["enc1"], 20)).toEqual([]);
      const [found] = await store.recallMemoriesByTokens(mesh.id, [token(2)], 20);
      expect(found).toEqual({
        id: a.id,
        meshId: mesh.id,
        content: "cm:enc1:AAAA:BBBB",
        tags: ["ops"],
        memberId: owner,
        rememberedBy: "owner",
        createdAt: T0,
      });
      expect(await store.forgetMemory(mesh.id, b.id, T0 + 5)).toBe("forgotten");
      expect(await ids([token(1)])).toEqual([a.id]);
      expect(await store.recallMemoriesByTokens(mesh.id, [token(1)], 1)).toHaveLength(1);
    });

    it("forget is a soft delete: once, then already forgotten; unknown or another mesh's is not found", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const other = await seedMesh(store, 0);
      const m = memory(mesh.id, mesh.owner.id);
      await store.rememberMemory(m);
      expect(await store.forgetMemory(other.id, m.id, T0)).toBe("not_found");
      expect(await store.forgetMemory(mesh.id, "no-such-memory", T0)).toBe("not_found");
      expect(await store.forgetMemory(mesh.id, m.id, T0)).toBe("forgotten");
      expect(await store.forgetMemory(mesh.id, m.id, T0 + 1)).toBe("already_forgotten");
      expect(await store.countMemories(mesh.id)).toBe(0);
    });
  });

  describe("skills", () => {
    it("upserts by name, gets, lists by name, removes", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [peer] = mesh.members;
      if (!peer) throw new Error("fixture");
      expect(await store.getSkill(mesh.id, "review")).toBeNull();
      expect(await store.upsertSkill(skill(mesh.id, mesh.owner.id), 10)).toBe(true);
      expect(
        await store.upsertSkill(
          skill(mesh.id, mesh.owner.id, {
            name: "deploy",
            manifest: { model: "opus", user_invocable: true },
          }),
          10,
        ),
      ).toBe(true);
      const replaced = skill(mesh.id, peer.id, {
        description: "Review carefully",
        instructions: "cm:enc1:NNNN:CCCC",
        tags: ["code", "review"],
        author: "peer-0",
        createdAt: T0 + 5,
      });
      expect(await store.upsertSkill(replaced, 10)).toBe(true);
      expect(await store.getSkill(mesh.id, "review")).toEqual(replaced);
      expect((await store.getSkill(mesh.id, "deploy"))?.manifest).toEqual({
        model: "opus",
        user_invocable: true,
      });
      expect(await store.listSkills(mesh.id)).toEqual([
        {
          meshId: mesh.id,
          name: "deploy",
          description: "Review a pull request",
          tags: ["code"],
          author: "owner",
          createdAt: T0,
        },
        {
          meshId: mesh.id,
          name: "review",
          description: "Review carefully",
          tags: ["code", "review"],
          author: "peer-0",
          createdAt: T0 + 5,
        },
      ]);
      expect(await store.removeSkill(mesh.id, "deploy")).toBe(true);
      expect(await store.removeSkill(mesh.id, "deploy")).toBe(false);
      expect((await store.listSkills(mesh.id)).map((s) => s.name)).toEqual(["review"]);
    });

    it("refuses a new name beyond the per-mesh limit but still replaces existing ones; meshes are separate", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const other = await seedMesh(store, 0);
      expect(await store.upsertSkill(skill(mesh.id, mesh.owner.id, { name: "a" }), 2)).toBe(true);
      expect(await store.upsertSkill(skill(mesh.id, mesh.owner.id, { name: "b" }), 2)).toBe(true);
      expect(await store.upsertSkill(skill(mesh.id, mesh.owner.id, { name: "c" }), 2)).toBe(false);
      expect(
        await store.upsertSkill(skill(mesh.id, mesh.owner.id, { name: "b", description: "new" }), 2),
      ).toBe(true);
      expect(await store.upsertSkill(skill(other.id, other.owner.id, { name: "c" }), 2)).toBe(true);
      expect((await store.listSkills(mesh.id)).map((s) => `${s.name}:${s.description}`)).toEqual([
        "a:Review a pull request",
        "b:new",
      ]);
      expect(await store.getSkill(other.id, "a")).toBeNull();
    });
  });
}
