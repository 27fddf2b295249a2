import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import { T0, presence, seedMesh } from "./fixtures.js";

export function meshInfoContract(ctx: ContractContext): void {
  describe("meshOverview", () => {
    it("counts the presences a member may see and lists their distinct groups, sorted", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 2);
      const other = await seedMesh(store, 0);
      const [a, b] = mesh.members;
      if (!a || !b) throw new Error("fixture");
      await store.upsertPresence(presence(mesh.owner, { groups: [{ name: "ops" }, { name: "dev/api" }] }));
      await store.upsertPresence(presence(a, { groups: [{ name: "dev/api", role: "lead" }] }));
      // Hidden: seen only by its own member.
      await store.upsertPresence(presence(b, { visible: false, groups: [{ name: "secret" }] }));
      // Gone, or in another mesh: never counted.
      const gone = presence(a, { groups: [{ name: "old" }] });
      await store.upsertPresence(gone);
      await store.markPresenceDisconnected(gone.id, T0 + 1);
      await store.upsertPresence(presence(other.owner, { groups: [{ name: "elsewhere" }] }));

      expect(await store.meshOverview(mesh.id, mesh.owner.id)).toEqual({
        presences: 2,
        groups: ["dev/api", "ops"],
      });
      expect(await store.meshOverview(mesh.id, b.id)).toEqual({
        presences: 3,
        groups: ["dev/api", "ops", "secret"],
      });
    });

    it("counts presences in grace and answers an empty mesh with zero", async () => {
      const store = ctx.store();
      const mesh = await seedMesh(store, 1);
      expect(await store.meshOverview(mesh.id, mesh.owner.id)).toEqual({ presences: 0, groups: [] });
      await store.upsertPresence(presence(mesh.owner, { lease: "offline", groups: [] }));
      expect(await store.meshOverview(mesh.id, mesh.owner.id)).toEqual({ presences: 1, groups: [] });
    });
  });
}
