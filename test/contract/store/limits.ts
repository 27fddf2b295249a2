import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import { T0, takeToken, uid } from "./fixtures.js";

export function limitsContract(ctx: ContractContext): void {
  describe("replay guard", () => {
    it("records a signature once until it expires", async () => {
      const store = ctx.store();
      const sig = "ab".repeat(64);
      expect(await store.recordSignature(sig, T0 + 120_000, T0)).toBe(true);
      expect(await store.recordSignature(sig, T0 + 120_001, T0 + 1)).toBe(false);
      expect(await store.recordSignature(sig, T0 + 240_000, T0 + 119_999)).toBe(false);
      expect(await store.recordSignature("cd".repeat(64), T0 + 120_000, T0)).toBe(true);
      // Expired: accepted again, and then guarded for its new lifetime.
      expect(await store.recordSignature(sig, T0 + 240_000, T0 + 120_000)).toBe(true);
      expect(await store.recordSignature(sig, T0 + 360_000, T0 + 200_000)).toBe(false);
    });

    it("answers concurrent records of one signature exactly once", async () => {
      const store = ctx.store();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.recordSignature("ef".repeat(64), T0 + 120_000, T0)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe("token buckets", () => {
    it("start full and empty after `burst` takes", async () => {
      const store = ctx.store();
      const key = uid("bucket");
      const takes = [];
      for (let i = 0; i < 4; i++) takes.push(await takeToken(store, key, 3, 1, T0));
      expect(takes).toEqual([true, true, true, false]);
      expect(await takeToken(store, uid("bucket"), 3, 1, T0)).toBe(true);
    });

    it("refill continuously at the given rate, capped at burst", async () => {
      const store = ctx.store();
      const key = uid("bucket");
      for (let i = 0; i < 2; i++) await takeToken(store, key, 2, 1, T0);
      expect(await takeToken(store, key, 2, 1, T0)).toBe(false);
      expect(await takeToken(store, key, 2, 1, T0 + 500)).toBe(false);
      expect(await takeToken(store, key, 2, 1, T0 + 1_000)).toBe(true);
      expect(await takeToken(store, key, 2, 1, T0 + 1_000)).toBe(false);
      // A fractional refill rate: 0.5 token/s needs 2 s per token.
      expect(await takeToken(store, key, 2, 0.5, T0 + 2_999)).toBe(false);
      expect(await takeToken(store, key, 2, 0.5, T0 + 4_000)).toBe(true);
      // Long idle: never more than `burst`.
      const later = T0 + 3_600_000;
      const takes = [];
      for (let i = 0; i < 3; i++) takes.push(await takeToken(store, key, 2, 1, later));
      expect(takes).toEqual([true, true, false]);
    });

    it("never refill when the clock steps back", async () => {
      const store = ctx.store();
      const key = uid("bucket");
      await takeToken(store, key, 1, 1, T0 + 10_000);
      expect(await takeToken(store, key, 1, 1, T0)).toBe(false);
      expect(await takeToken(store, key, 1, 1, T0 + 10_500)).toBe(false);
      expect(await takeToken(store, key, 1, 1, T0 + 11_000)).toBe(true);
    });

    it("grant exactly `burst` tokens to concurrent takers", async () => {
      const store = ctx.store();
      const key = uid("bucket");
      const results = await Promise.all(Array.from({ length: 25 }, () => takeToken(store, key, 10, 1, T0)));
      expect(results.filter(Boolean)).toHaveLength(10);
    });
  });
  describe("takeTokens (one call per batch)", () => {
    it("answers each request in input order; requests for one key share its bucket", async () => {
      const store = ctx.store();
      const a = uid("bucket");
      const b = uid("bucket");
      const results = await store.takeTokens(
        [
          { key: a, burst: 2, refillPerSec: 1 },
          { key: b, burst: 1, refillPerSec: 1 },
          { key: a, burst: 2, refillPerSec: 1 },
          { key: b, burst: 1, refillPerSec: 1 },
          { key: a, burst: 2, refillPerSec: 1 },
        ],
        T0,
      );
      expect(results).toEqual([true, true, true, false, false]);
      // The batch's takes are stored: the buckets are empty for a later single take too.
      expect(await takeToken(store, a, 2, 1, T0)).toBe(false);
      expect(await takeToken(store, a, 2, 1, T0 + 1_000)).toBe(true);
      expect(await store.takeTokens([], T0)).toEqual([]);
    });

    it("grant exactly `burst` tokens across concurrent batches", async () => {
      const store = ctx.store();
      const key = uid("bucket");
      const batch = Array.from({ length: 4 }, () => ({ key, burst: 10, refillPerSec: 1 }));
      const results = await Promise.all(Array.from({ length: 6 }, () => store.takeTokens(batch, T0)));
      expect(results.flat().filter(Boolean)).toHaveLength(10);
    });
  });
}
