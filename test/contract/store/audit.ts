import { describe, expect, it } from "vitest";
import { auditHash, verifyAuditChain } from "../../../src/broker/store/audit-chain.js";
import type { NewAuditEntry, Store } from "../../../src/broker/store/port/index.js";
import { AUDIT_GENESIS_HASH } from "../../../src/protocol/index.js";
import type { ContractContext } from "./context.js";
import { T0, uid } from "./fixtures.js";

function entry(meshId: string, i: number, overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    meshId,
    at: T0 + i,
    actorPubkey: "a".repeat(64),
    actorName: "owner",
    action: "task.created",
    target: `task-${i}`,
    ...overrides,
  };
}

/** Appends from both stores at once keep one gap-free, verifying chain per mesh. */
export async function auditRacing([a, b]: [Store, Store]): Promise<void> {
  const meshId = uid("mesh");
  // Each append is atomic on its own; on PostgreSQL each runs in its own transaction on its own connection.
  await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).appendAudit(entry(meshId, i))));
  const chain = await a.auditChain(meshId);
  expect(chain.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(verifyAuditChain(chain)).toMatchObject({ ok: true, entries: 40 });
}

export function auditContract(ctx: ContractContext): void {
  describe("audit", () => {
    it("appends a chain per mesh from seq 1, each entry linked to the one before", async () => {
      const store = ctx.store();
      const mesh = uid("mesh");
      const other = uid("mesh");
      const first = await store.appendAudit(entry(mesh, 1));
      await store.appendAudit(entry(other, 1));
      const second = await store.appendAudit(entry(mesh, 2, { action: "lease.acquired", target: "repo:a" }));

      expect(first).toMatchObject({ seq: 1, prevHash: AUDIT_GENESIS_HASH });
      expect(first.hash).toBe(auditHash(AUDIT_GENESIS_HASH, first));
      expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(second).toMatchObject({ seq: 2, prevHash: first.hash, action: "lease.acquired" });
      expect(second.hash).toBe(auditHash(first.hash, second));
      expect((await store.auditChain(other)).map((r) => r.seq)).toEqual([1]);
      expect(await store.auditChain(mesh)).toEqual([first, second]);
    });

    it("the hash is SHA-256 of prevHash|seq|at|actorPubkey|action|target", () => {
      // printf '%s' '<64 zeros>|1|1750000000000|<64 a>|task.created|t1' | sha256sum
      const hash = auditHash(AUDIT_GENESIS_HASH, {
        seq: 1,
        at: T0,
        actorPubkey: "a".repeat(64),
        action: "task.created",
        target: "t1",
      });
      expect(hash).toBe("ee19c526eabec4495b3f8f8ecd999325d7dbb8d3c54b5e5b651bb05c0b0cda06");
    });

    it("lists newest first, paged by beforeSeq and limit", async () => {
      const store = ctx.store();
      const mesh = uid("mesh");
      for (let i = 1; i <= 5; i++) await store.appendAudit(entry(mesh, i));
      expect((await store.listAudit(mesh, null, 100)).map((r) => r.seq)).toEqual([5, 4, 3, 2, 1]);
      expect((await store.listAudit(mesh, null, 2)).map((r) => r.seq)).toEqual([5, 4]);
      expect((await store.listAudit(mesh, 4, 2)).map((r) => r.seq)).toEqual([3, 2]);
      expect(await store.listAudit(uid("mesh"), null, 10)).toEqual([]);
    });

    it("an entry appended inside a transaction that fails is rolled back with it, leaving no gap", async () => {
      const store = ctx.store();
      const mesh = uid("mesh");
      await store.appendAudit(entry(mesh, 1));
      await expect(
        store.transaction(async () => {
          await store.appendAudit(entry(mesh, 2));
          throw new Error("the change failed");
        }),
      ).rejects.toThrow("the change failed");
      const third = await store.transaction(() => store.appendAudit(entry(mesh, 3)));
      expect(third.seq).toBe(2);
      expect(verifyAuditChain(await store.auditChain(mesh))).toMatchObject({ ok: true, entries: 2 });
    });

    it("verification finds an edited, a relinked and a missing entry", async () => {
      const store = ctx.store();
      const mesh = uid("mesh");
      for (let i = 1; i <= 4; i++) await store.appendAudit(entry(mesh, i));
      const chain = await store.auditChain(mesh);
      const good = verifyAuditChain(chain);
      expect(good).toEqual({ ok: true, entries: 4, head: chain[3]!.hash });
      expect(verifyAuditChain([])).toEqual({ ok: true, entries: 0, head: AUDIT_GENESIS_HASH });

      const edited = chain.map((r) => (r.seq === 3 ? { ...r, target: "something else" } : r));
      expect(verifyAuditChain(edited)).toMatchObject({ ok: false, brokenAt: 3 });
      const relinked = chain.map((r) => (r.seq === 2 ? { ...r, prevHash: "f".repeat(64) } : r));
      expect(verifyAuditChain(relinked)).toMatchObject({ ok: false, brokenAt: 2 });
      expect(verifyAuditChain(chain.filter((r) => r.seq !== 2))).toMatchObject({ ok: false, brokenAt: 3 });
    });
  });
}
