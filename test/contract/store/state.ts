import { describe, expect, it } from "vitest";
import type { ContextRow } from "../../../src/broker/store/port/index.js";
import type { ContractContext } from "./context.js";
import { T0, seedMesh, uid } from "./fixtures.js";

function context(meshId: string, memberId: string, overrides: Partial<ContextRow> = {}): ContextRow {
  return {
    id: uid("ctx"),
    meshId,
    memberId,
    peerName: "alice",
    summary: "working on auth",
    filesRead: ["src/a.ts"],
    keyFindings: ["it leaks"],
    tags: ["auth"],
    updatedAt: T0,
    ...overrides,
  };
}

export function stateContract(ctx: ContractContext): void {
  describe("state", () => {
    it("upserts a key (last write wins), reads it back verbatim and lists keys in order", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const other = await seedMesh(store, 0);
      expect(await store.getState(mesh.id, "k")).toBeNull();
      await store.setState(
        mesh.id,
        {
          key: "k",
          valueJson: '{"b":1,"a":[1.5,"x"]}',
          updatedBy: "alice",
          updatedAt: T0,
        },
        mesh.owner.id,
      );
      await store.setState(
        mesh.id,
        { key: "b", valueJson: "null", updatedBy: "bob", updatedAt: T0 + 1 },
        mesh.owner.id,
      );
      await store.setState(
        other.id,
        {
          key: "k",
          valueJson: '"elsewhere"',
          updatedBy: "carol",
          updatedAt: T0,
        },
        other.owner.id,
      );
      expect(await store.getState(mesh.id, "k")).toEqual({
        key: "k",
        valueJson: '{"b":1,"a":[1.5,"x"]}',
        updatedBy: "alice",
        updatedAt: T0,
      });
      await store.setState(
        mesh.id,
        { key: "k", valueJson: "2", updatedBy: "bob", updatedAt: T0 + 5 },
        mesh.owner.id,
      );
      expect(await store.getState(mesh.id, "k")).toEqual({
        key: "k",
        valueJson: "2",
        updatedBy: "bob",
        updatedAt: T0 + 5,
      });
      expect(await store.stateKeys(mesh.id)).toEqual(["b", "k"]);
      expect((await store.listState(mesh.id)).map((r) => [r.key, r.valueJson])).toEqual([
        ["b", "null"],
        ["k", "2"],
      ]);
      expect(await store.stateKeys(other.id)).toEqual(["k"]);
    });

    it("keeps keys of any text, including Unicode and long ones", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const key = `ключ/${"x".repeat(250)}`;
      await store.setState(mesh.id, { key, valueJson: '"é"', updatedBy: "ü", updatedAt: T0 }, mesh.owner.id);
      expect(await store.getState(mesh.id, key)).toMatchObject({ valueJson: '"é"', updatedBy: "ü" });
    });
  });

  describe("contexts", () => {
    it("keeps one context per member: a later share replaces it and keeps its id", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      const [b] = mesh.members;
      if (!b) throw new Error("fixture");
      const first = context(mesh.id, mesh.owner.id);
      expect(await store.shareContext(first)).toBe(first.id);
      const again = context(mesh.id, mesh.owner.id, {
        summary: "now on billing",
        filesRead: [],
        keyFindings: [],
        tags: ["billing", "db"],
        updatedAt: T0 + 10,
      });
      expect(await store.shareContext(again)).toBe(first.id);
      await store.shareContext(context(mesh.id, b.id, { peerName: "bob", updatedAt: T0 + 5 }));
      const list = await store.listContexts(mesh.id);
      expect(list.map((c) => [c.peerName, c.summary])).toEqual([
        ["alice", "now on billing"],
        ["bob", "working on auth"],
      ]);
      expect(list[0]).toEqual({ ...again, id: first.id });
    });

    it("lists only the mesh's own contexts", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 0);
      const other = await seedMesh(store, 0);
      await store.shareContext(context(other.id, other.owner.id));
      expect(await store.listContexts(mesh.id)).toEqual([]);
    });
  });
}
