import { describe, expect, it } from "vitest";
import { BlobTooLargeError } from "../../../src/broker/store/blobs/too-large.js";
import type { FileRow, Store } from "../../../src/broker/store/port/index.js";
import type { ContractContext } from "./context.js";
import { DAY_MS, T0, hex64, messageId, seedTwoMembers } from "./fixtures.js";

function newFile(meshId: string, memberId: string, overrides: Partial<FileRow> = {}): FileRow {
  return {
    id: messageId("f"),
    meshId,
    name: "report.pdf",
    size: 3,
    tags: ["docs"],
    persistent: false,
    encrypted: true,
    targetSpec: null,
    uploaderMemberId: memberId,
    uploaderName: "owner",
    ownerPubkey: hex64(),
    uploadedAt: T0,
    expiresAt: T0 + 7 * DAY_MS,
    ...overrides,
  };
}

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

async function readAll(store: Store, fileId: string): Promise<Buffer | null> {
  const blob = await store.readBlob(fileId);
  if (!blob) return null;
  const out: Buffer[] = [];
  for await (const c of blob) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

export function filesContract(ctx: ContractContext): void {
  describe("files", () => {
    it("stores a file with its sealed keys; a key is found only for its member", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const file = newFile(mesh.id, mesh.owner.id);
      await store.createFile(file, [
        { memberPubkey: mesh.owner.pubkey, sealedKey: "b3duZXI=" },
        { memberPubkey: a.pubkey, sealedKey: "YQ==" },
      ]);
      expect(await store.getFile(mesh.id, file.id)).toEqual(file);
      expect(await store.getFile("other-mesh", file.id)).toBeNull();
      expect(await store.fileKey(file.id, a.pubkey)).toBe("YQ==");
      expect(await store.fileKey(file.id, b.pubkey)).toBeNull();
      await store.putFileKey(file.id, { memberPubkey: b.pubkey, sealedKey: "Yg==" });
      await store.putFileKey(file.id, { memberPubkey: b.pubkey, sealedKey: "Yi0y" });
      expect(await store.fileKey(file.id, b.pubkey)).toBe("Yi0y");
      expect(await store.countFiles(mesh.id)).toBe(1);
    });

    it("sums the bytes of a member's unexpired files in one mesh", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const other = await seedTwoMembers(store);
      await store.createFile(newFile(mesh.id, a.id, { size: 1_000 }), []);
      await store.createFile(newFile(mesh.id, a.id, { size: 3_000_000_000, expiresAt: null }), []);
      await store.createFile(newFile(mesh.id, a.id, { size: 7, expiresAt: T0 }), []);
      await store.createFile(newFile(mesh.id, b.id, { size: 20 }), []);
      await store.createFile(newFile(other.mesh.id, other.a.id, { size: 300 }), []);
      expect(await store.memberFileBytes(mesh.id, a.id, T0)).toBe(3_000_001_000);
      expect(await store.memberFileBytes(mesh.id, a.id, T0 - 1)).toBe(3_000_001_007);
      expect(await store.memberFileBytes(mesh.id, b.id, T0)).toBe(20);
      expect(await store.memberFileBytes(other.mesh.id, a.id, T0)).toBe(0);
    });

    it("lists only what a member may see, newest first, filtered by query and uploader", async () => {
      const store = ctx.store();
      const { mesh, a, b } = await seedTwoMembers(store);
      const forA = newFile(mesh.id, mesh.owner.id, { name: "plan_v1.md", uploadedAt: T0 + 1 });
      const bOwn = newFile(mesh.id, b.id, {
        name: "b.txt",
        uploaderName: "peer-1",
        tags: ["Spec"],
        uploadedAt: T0 + 2,
      });
      const plain = newFile(mesh.id, b.id, { name: "open.txt", encrypted: false, uploadedAt: T0 + 3 });
      const notForA = newFile(mesh.id, mesh.owner.id, { name: "secret", uploadedAt: T0 + 4 });
      await store.createFile(forA, [{ memberPubkey: a.pubkey, sealedKey: "YQ==" }]);
      await store.createFile(bOwn, [{ memberPubkey: b.pubkey, sealedKey: "Yg==" }]);
      await store.createFile(plain, []);
      await store.createFile(notForA, [{ memberPubkey: b.pubkey, sealedKey: "Yg==" }]);
      const viewerA = { memberId: a.id, memberPubkey: a.pubkey };
      const ids = async (filter = {}, limit = 100) =>
        (await store.listFiles(mesh.id, viewerA, filter, limit)).map((f) => f.id);
      expect(await ids()).toEqual([plain.id, forA.id]);
      expect(await ids({}, 1)).toEqual([plain.id]);
      expect(await ids({ query: "V1" })).toEqual([forA.id]);
      // LIKE wildcards match themselves only.
      expect(await ids({ query: "n_v" })).toEqual([forA.id]);
      expect(await ids({ query: "%" })).toEqual([]);
      const viewerB = { memberId: b.id, memberPubkey: b.pubkey };
      expect((await store.listFiles(mesh.id, viewerB, { query: "spec" }, 100)).map((f) => f.id)).toEqual([
        bOwn.id,
      ]);
      expect((await store.listFiles(mesh.id, viewerB, { from: "peer-1" }, 100)).map((f) => f.id)).toEqual([
        bOwn.id,
      ]);
    });

    it("keeps an access log, oldest first, and deletes a file with its keys, log and tokens", async () => {
      const store = ctx.store();
      const { mesh, a } = await seedTwoMembers(store);
      const file = newFile(mesh.id, mesh.owner.id);
      await store.createFile(file, [{ memberPubkey: a.pubkey, sealedKey: "YQ==" }]);
      await store.recordFileAccess(file.id, { peerName: "peer-0", accessedAt: T0 + 5 });
      await store.recordFileAccess(file.id, { peerName: "owner", accessedAt: T0 + 6 });
      expect(await store.fileAccesses(file.id)).toEqual([
        { peerName: "peer-0", accessedAt: T0 + 5 },
        { peerName: "owner", accessedAt: T0 + 6 },
      ]);
      const token = {
        tokenHash: hex64(),
        fileId: file.id,
        meshId: mesh.id,
        peerName: "peer-0",
        expiresAt: T0 + 60_000,
      };
      await store.insertFileToken(token);
      expect(await store.fileToken(token.tokenHash, T0)).toEqual(token);
      expect(await store.fileToken(token.tokenHash, T0 + 60_000)).toBeNull();
      expect(await store.deleteFile("other-mesh", file.id)).toBe(false);
      expect(await store.deleteFile(mesh.id, file.id)).toBe(true);
      expect(await store.getFile(mesh.id, file.id)).toBeNull();
      expect(await store.fileKey(file.id, a.pubkey)).toBeNull();
      expect(await store.fileAccesses(file.id)).toEqual([]);
      expect(await store.fileToken(token.tokenHash, T0)).toBeNull();
      expect(await store.deleteFile(mesh.id, file.id)).toBe(false);
    });

    it("expires non-persistent files past their time, in bounded batches, and never persistent ones", async () => {
      const store = ctx.store();
      const { mesh } = await seedTwoMembers(store);
      const old = [1, 2, 3].map((i) => newFile(mesh.id, mesh.owner.id, { expiresAt: T0 + i }));
      const kept = newFile(mesh.id, mesh.owner.id, { persistent: true, expiresAt: null });
      const fresh = newFile(mesh.id, mesh.owner.id, { expiresAt: T0 + DAY_MS });
      for (const f of [...old, kept, fresh]) await store.createFile(f, []);
      const first = await store.expireFiles(T0 + 10, 2);
      const second = await store.expireFiles(T0 + 10, 2);
      expect(first).toHaveLength(2);
      expect([...first, ...second].sort()).toEqual(old.map((f) => f.id).sort());
      expect(await store.expireFiles(T0 + 10, 2)).toEqual([]);
      expect(await store.countFiles(mesh.id)).toBe(2);
    });

    it("streams bytes in and out, and removes them on delete", async () => {
      const store = ctx.store();
      const id = messageId("b");
      const big = Buffer.alloc(2_500_000, 7);
      big[0] = 1;
      big[big.length - 1] = 9;
      const size = await store.writeBlob(
        id,
        chunks(Buffer.from("head"), big, Buffer.from("tail")),
        3_000_000,
      );
      expect(size).toBe(big.length + 8);
      expect(
        (await readAll(store, id))?.equals(Buffer.concat([Buffer.from("head"), big, Buffer.from("tail")])),
      ).toBe(true);
      await store.deleteBlob(id);
      expect(await store.readBlob(id)).toBeNull();
      await store.deleteBlob(id);
      expect(await store.readBlob(messageId("none"))).toBeNull();
    });

    it("removes old bytes that belong to no file, never those of a file or fresh ones", async () => {
      const store = ctx.store();
      const { mesh } = await seedTwoMembers(store);
      const file = newFile(mesh.id, mesh.owner.id);
      const orphan = messageId("o");
      await store.writeBlob(file.id, chunks(Buffer.from("kept")), 100);
      await store.createFile(file, []);
      await store.writeBlob(orphan, chunks(Buffer.from("left behind")), 100);
      expect(await store.deleteOrphanBlobs(Date.now() - 3_600_000, 100)).toBe(0);
      expect(await readAll(store, orphan)).not.toBeNull();
      expect(await store.deleteOrphanBlobs(Date.now() + 60_000, 100)).toBe(1);
      expect(await store.readBlob(orphan)).toBeNull();
      expect((await readAll(store, file.id))?.toString()).toBe("kept");
      await store.deleteBlob(file.id);
    });

    it("refuses a stream over the limit and keeps nothing of it", async () => {
      const store = ctx.store();
      const id = messageId("c");
      const part = Buffer.alloc(700_000, 1);
      await expect(
        store.writeBlob(id, chunks(part, part, Buffer.alloc(1)), 1_400_000),
      ).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await store.readBlob(id)).toBeNull();
      expect(await store.writeBlob(id, chunks(part, part), 1_400_000)).toBe(1_400_000);
      await store.deleteBlob(id);
    });

    it("refuses a stream that passes the limit while a write is still under way", async () => {
      const store = ctx.store();
      const id = messageId("w");
      // A small chunk is handed on at once; the next one passes the limit before it was written.
      await expect(
        store.writeBlob(id, chunks(Buffer.alloc(10, 1), Buffer.alloc(100, 2)), 50),
      ).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await store.readBlob(id)).toBeNull();
      // Nothing failed later, off the call's path: the next write works as usual.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await store.writeBlob(id, chunks(Buffer.from("ok")), 50)).toBe(2);
      await store.deleteBlob(id);
    });
  });
}
