import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import { T0, takeToken, uid } from "./fixtures.js";

export function lifecycleContract(ctx: ContractContext): void {
  describe("lifecycle", () => {
    it("probeWrite succeeds repeatedly and leaves the families untouched", async () => {
      const store = ctx.store();
      await store.probeWrite(T0);
      await store.probeWrite(T0 + 1);
      expect(await store.countPresences(uid("mesh"))).toBe(0);
      expect(await store.queueDepth()).toBe(0);
    });

    it("checkpoint keeps every committed write readable", async () => {
      const store = ctx.store();
      const key = uid("bucket");
      expect(await takeToken(store, key, 1, 0, T0)).toBe(true);
      await store.checkpoint();
      await store.checkpoint();
      // The bucket's one token is still spent after the checkpoint.
      expect(await takeToken(store, key, 1, 0, T0 + 1)).toBe(false);
    });
  });
}
