/**
 * files (protocol.md §5.6, §6.6, §7.2) against a real broker on SQLite: an encrypted upload for one
 * recipient, its download and access log, `forbidden` for everyone else (never the bytes), the 50 MiB
 * limit on the file with nothing left behind (declared and streamed, plaintext and encrypted), bad headers, delete and grant rules, expiry,
 * `file_shared` pushes, `mesh_info` counts, and no plaintext anywhere in the data dir.
 */
import { randomBytes as nodeRandomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { downloadFile, uploadFile, type FileIdentity } from "../../src/client/file-transfer.js";
import { FILE_OVERHEAD_BYTES, generateIdentity, randomBytes, sealTo } from "../../src/crypto/index.js";
import { meshDataKey } from "../../src/client/value-crypto.js";
import { FILE_MAX_BYTES } from "../../src/protocol/index.js";
import { signHttpRequest } from "../../src/client/signing.js";
import { rawUpload } from "../helpers/file-upload.js";
import { addMember } from "../helpers/mesh-fixture.js";
import {
  connectMember,
  meshWith,
  useBroker,
  waitUntil,
  type BrokerProcess,
  type TestMember,
  type TestMesh,
  filesUnder,
} from "../helpers/broker.js";
import type { FileUrl } from "../../src/protocol/index.js";

const broker = useBroker();
/** A broker that keeps non-persistent files 1.5 s and sweeps often. */
const shortLived = useBroker({ fileRetentionMs: 1_500, retentionSweepMs: 200 });

/** A broker for the size limit alone, so no other test's upload shows in its data dir. */
const limits = useBroker();

/** A broker whose members may each store 1,000 bytes of files. */
const quota = useBroker({ fileQuota: 1_000 });

/** A broker for a name-targeted file, so no scan of another broker's data dir meets it half written. */
const named = useBroker();

type FileListFrame = { files: Array<{ id: string }> };

function who(mesh: TestMesh, m: TestMember): FileIdentity {
  return { meshId: mesh.meshId, publicKey: m.pubkey, secretKey: m.secretKey };
}

/** Every file under `dir`, recursively. */

/** The `files/` entries of the broker's data dir. */
function storedBlobs(b: BrokerProcess): string[] {
  try {
    return readdirSync(join(b.dataDir, "files"));
  } catch {
    return [];
  }
}

describe.concurrent("files", () => {
  it("a plaintext file targeted by name is not readable by a connection that calls itself by that name", async () => {
    const { mesh, m } = await meshWith(named(), ["alice", "bob", "carol"]);
    // A reference client's upload: plaintext, its recipients named by display name.
    const up = await rawUpload(named(), mesh, m.alice!, Buffer.from("for bob only"), {
      "X-File-Name": "plans.txt",
      "X-Target-Spec": "bob",
    });
    expect(up.status).toBe(200);
    const fileId = String(up.body.fileId);
    const bob = await connectMember(named().url, mesh.meshId, m.bob!);
    expect(await bob.request({ type: "get_file", fileId })).toMatchObject({ type: "file_url" });
    // Carol's hello names her presence "bob": she is still carol.
    const carol = await connectMember(named().url, mesh.meshId, m.carol!, { displayName: "bob" });
    expect(await carol.request({ type: "get_file", fileId })).toMatchObject({
      type: "error",
      code: "forbidden",
      message: "file not targeted at you",
    });
    expect(await carol.request({ type: "file_status", fileId })).toMatchObject({ code: "forbidden" });
  });

  it("a file for bob downloads byte-identical for him, is logged, and is forbidden for carol", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob", "carol"]);
    const [alice, bob, carol] = await Promise.all(
      ["alice", "bob", "carol"].map((n) => connectMember(broker().url, mesh.meshId, m[n]!)),
    );
    const since = bob!.mark();
    const plaintext = randomBytes(300_000);
    const up = await uploadFile(broker().url, who(mesh, m.alice!), {
      bytes: plaintext,
      name: "notes é.txt",
      recipients: [m.bob!.pubkey],
      targetSpec: m.bob!.pubkey,
      tags: ["docs"],
    });
    expect(up.size).toBe(plaintext.length);
    const shared = await bob!.waitForEvent("file_shared", { since });
    expect(shared.eventData).toEqual({
      fileId: up.fileId,
      name: "notes é.txt",
      size: plaintext.length + 40,
      from: "alice",
      fromPubkey: m.alice!.pubkey,
    });

    const url = (await bob!.request({ type: "get_file", fileId: up.fileId })) as unknown as FileUrl;
    expect(url).toMatchObject({ type: "file_url", fileId: up.fileId, name: "notes é.txt", encrypted: true });
    const got = await downloadFile(broker().url, url, who(mesh, m.bob!));
    expect(Buffer.from(got.bytes).equals(Buffer.from(plaintext))).toBe(true);
    expect(got.sha256).toBe(up.sha256);

    expect(await carol!.request({ type: "get_file", fileId: up.fileId })).toMatchObject({
      type: "error",
      code: "forbidden",
      message: "file not targeted at you",
    });
    // Signed by carol, straight at the download route: still no bytes.
    const target = `/download/${up.fileId}?mesh=${mesh.meshId}`;
    const signed = signHttpRequest({
      method: "GET",
      target,
      meshId: mesh.meshId,
      pubkey: m.carol!.pubkey,
      secretKey: m.carol!.secretKey,
    });
    const res = await fetch(`${broker().httpUrl}${target}`, { headers: signed.headers });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "forbidden" });
    // A token is for its file only.
    const wrong = new URL(url.url, broker().httpUrl);
    wrong.pathname = "/download/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    expect((await fetch(wrong)).status).toBe(403);

    const status = await alice!.request({ type: "file_status", fileId: up.fileId });
    expect(status).toMatchObject({ type: "file_status_result", accesses: [{ peerName: "bob" }] });
    expect((await carol!.request({ type: "list_files" })).files).toEqual([]);
    expect(await bob!.request({ type: "list_files" })).toMatchObject({
      files: [
        {
          id: up.fileId,
          name: "notes é.txt",
          uploadedBy: "alice",
          encrypted: true,
          persistent: false,
          tags: ["docs"],
        },
      ],
    });
    expect(await bob!.request({ type: "mesh_info" })).toMatchObject({ fileCount: 1 });
  });

  it("an encrypted file without a key for the caller is forbidden; the owner's grant opens it", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob", "carol"]);
    const [alice, bob, carol] = await Promise.all(
      ["alice", "bob", "carol"].map((n) => connectMember(broker().url, mesh.meshId, m[n]!)),
    );
    const fileKey = randomBytes(32);
    const up = await uploadFile(broker().url, who(mesh, m.alice!), {
      bytes: Buffer.from("hi"),
      name: "a",
      recipients: [],
    });
    expect(await bob!.request({ type: "get_file", fileId: up.fileId })).toMatchObject({
      code: "forbidden",
      message: "no decryption key for this file",
    });
    expect(
      await bob!.request({
        type: "grant_file_access",
        fileId: up.fileId,
        peerPubkey: m.carol!.pubkey,
        sealedKey: sealTo(fileKey, m.carol!.pubkey),
      }),
    ).toMatchObject({ code: "forbidden" });
    expect(
      await alice!.request({
        type: "grant_file_access",
        fileId: up.fileId,
        peerPubkey: m.bob!.pubkey,
        sealedKey: sealTo(fileKey, m.bob!.pubkey),
      }),
    ).toEqual({
      type: "grant_file_access_ok",
      fileId: up.fileId,
      peerPubkey: m.bob!.pubkey,
      _reqId: expect.any(String),
    });
    expect(await bob!.request({ type: "get_file", fileId: up.fileId })).toMatchObject({
      type: "file_url",
      sealedKey: expect.any(String),
    });
    expect(await carol!.request({ type: "delete_file", fileId: up.fileId })).toMatchObject({
      code: "forbidden",
    });
    expect(await alice!.request({ type: "delete_file", fileId: up.fileId })).toMatchObject({
      type: "ack",
      id: up.fileId,
      queued: false,
    });
    expect(await bob!.request({ type: "get_file", fileId: up.fileId })).toMatchObject({ code: "not_found" });
    const owner = await connectMember(broker().url, mesh.meshId, mesh.owner);
    const log = (await owner.request({ type: "audit_query" })) as unknown as {
      entries: Array<{ action: string; target: string; actorName: string }>;
    };
    expect(log.entries.filter((e) => e.target === up.fileId).map((e) => [e.action, e.actorName])).toEqual(
      expect.arrayContaining([
        ["file.shared", "alice"],
        ["file.deleted", "alice"],
      ]),
    );
    expect(await bob!.request({ type: "get_file", fileId: "nope" })).toMatchObject({ code: "not_found" });
  });

  it("a file for every member: a key under the mesh data key opens it for one who joins later, never for a targeted file", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const dataKey = meshDataKey(mesh.rootKey);
    const bytes = Buffer.from("for everyone, now and later");
    const forAll = await uploadFile(broker().url, who(mesh, m.alice!), {
      bytes,
      name: "all.txt",
      recipients: [],
      meshDataKey: dataKey,
    });
    const dave = await addMember(broker(), mesh, "dave");
    const daveConn = await connectMember(broker().url, mesh.meshId, dave);
    expect((await daveConn.request({ type: "list_files" })) as unknown as FileListFrame).toMatchObject({
      files: [{ id: forAll.fileId }],
    });
    const reply = (await daveConn.request({ type: "get_file", fileId: forAll.fileId })) as unknown as FileUrl;
    expect(reply.sealedKey).toMatch(/^cm:enc1:/);
    const reader = { publicKey: dave.pubkey, secretKey: dave.secretKey };
    const got = await downloadFile(broker().url, reply, { ...reader, meshDataKey: dataKey });
    expect(Buffer.from(got.bytes).toString()).toBe("for everyone, now and later");
    // Without the mesh data key (another mesh's) the key does not open.
    const again = (await daveConn.request({ type: "get_file", fileId: forAll.fileId })) as unknown as FileUrl;
    await expect(
      downloadFile(broker().url, again, { ...reader, meshDataKey: randomBytes(32) }),
    ).rejects.toMatchObject({ code: "forbidden" });

    // A key for every member only goes with a file for every member, and only once.
    const meshKey = { peerPubkey: "*", sealedKey: `cm:enc1:${"A".repeat(32)}:${"B".repeat(80)}` };
    const own = { peerPubkey: m.alice!.pubkey, sealedKey: sealTo(randomBytes(32), m.alice!.pubkey) };
    const refused: Array<Record<string, string>> = [
      { "X-File-Keys": JSON.stringify([own, meshKey]), "X-Target-Spec": m.bob!.pubkey },
      { "X-File-Keys": JSON.stringify([own, meshKey, meshKey]) },
      { "X-File-Keys": JSON.stringify([{ peerPubkey: "*", sealedKey: "YQ==" }]) },
    ];
    for (const headers of refused) {
      const res = await rawUpload(broker(), mesh, m.alice!, Buffer.from("x"), {
        "X-File-Name": "a",
        "X-Encrypted": "true",
        ...headers,
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: "invalid_argument",
        message: expect.stringContaining("x-file-keys"),
      });
    }
    expect(((await daveConn.request({ type: "list_files" })) as unknown as FileListFrame).files).toHaveLength(
      1,
    );
  });

  it("a member's files stop at its quota, declared or streamed, with nothing stored; deleting makes room", async () => {
    const { mesh, m } = await meshWith(quota(), ["alice", "bob"]);
    const before = storedBlobs(quota());
    const plain = { "X-File-Name": "part", "X-Encrypted": "false" };
    const first = await rawUpload(quota(), mesh, m.alice!, Buffer.alloc(600, 1), plain);
    expect(first.status).toBe(200);
    for (const chunked of [false, true]) {
      const res = await rawUpload(quota(), mesh, m.alice!, Buffer.alloc(600, 2), plain, chunked);
      expect(res).toMatchObject({ status: 403, body: { ok: false, error: "limit" } });
      expect(String(res.body.message)).toContain("1000 bytes");
    }
    expect(storedBlobs(quota()).filter((f) => !before.includes(f))).toHaveLength(1);
    // The quota is each member's own.
    expect((await rawUpload(quota(), mesh, m.bob!, Buffer.alloc(900, 3), plain)).status).toBe(200);
    expect((await rawUpload(quota(), mesh, m.alice!, Buffer.alloc(400, 4), plain)).status).toBe(200);

    const alice = await connectMember(quota().url, mesh.meshId, m.alice!);
    const deleted = await alice.request({ type: "delete_file", fileId: String(first.body.fileId) });
    expect(deleted).toMatchObject({ type: "ack" });
    expect((await rawUpload(quota(), mesh, m.alice!, Buffer.alloc(600, 5), plain, true)).status).toBe(200);
  });

  it("one byte over 50 MiB of file is refused with 413, declared or streamed, and nothing is stored", async () => {
    const { mesh, m } = await meshWith(limits(), ["alice"]);
    const before = storedBlobs(limits());
    const over = Buffer.alloc(FILE_MAX_BYTES + FILE_OVERHEAD_BYTES + 1, 1);
    const plain = { "X-File-Name": "big", "X-Encrypted": "false" };
    const sealed = {
      "X-File-Name": "big",
      "X-Encrypted": "true",
      "X-File-Keys": JSON.stringify([
        { peerPubkey: m.alice!.pubkey, sealedKey: sealTo(randomBytes(32), m.alice!.pubkey) },
      ]),
    };
    // A plaintext body holds the file itself; an encrypted one may carry its nonce and MAC on top.
    const refusals: Array<[Buffer, Record<string, string>]> = [
      [over.subarray(0, FILE_MAX_BYTES + 1), plain],
      [over, sealed],
    ];
    for (const [body, headers] of refusals) {
      for (const chunked of [false, true]) {
        const res = await rawUpload(limits(), mesh, m.alice!, body, headers, chunked);
        expect(res).toEqual({
          status: 413,
          body: { ok: false, error: "too_large", message: "file too large (max 50 MiB)" },
        });
      }
    }
    const alice = await connectMember(limits().url, mesh.meshId, m.alice!);
    expect(await alice.request({ type: "list_files" })).toMatchObject({ files: [] });
    expect(storedBlobs(limits()).filter((f) => !before.includes(f))).toEqual([]);
    await expect(
      uploadFile(limits().url, who(mesh, m.alice!), {
        bytes: over.subarray(0, FILE_MAX_BYTES + 1),
        name: "big",
        recipients: [],
      }),
    ).rejects.toMatchObject({ code: "too_large" });

    // Exactly the limit is fine: plaintext, and a file of 50 MiB encrypted, which downloads whole.
    const ok = await rawUpload(limits(), mesh, m.alice!, over.subarray(0, FILE_MAX_BYTES), plain, true);
    expect(ok).toMatchObject({ status: 200, body: { ok: true, fileId: expect.any(String) } });
    await alice.request({ type: "delete_file", fileId: ok.body.fileId as string });
    const file = nodeRandomBytes(FILE_MAX_BYTES);
    const up = await uploadFile(limits().url, who(mesh, m.alice!), {
      bytes: file,
      name: "full",
      recipients: [],
    });
    expect(up.size).toBe(FILE_MAX_BYTES);
    const listed = (await alice.request({ type: "list_files" })) as unknown as FileListFrame & {
      files: Array<{ size: number }>;
    };
    expect(listed.files).toMatchObject([{ id: up.fileId, size: FILE_MAX_BYTES + FILE_OVERHEAD_BYTES }]);
    const url = (await alice.request({ type: "get_file", fileId: up.fileId })) as unknown as FileUrl;
    const got = await downloadFile(limits().url, url, who(mesh, m.alice!));
    expect(got.bytes.length).toBe(FILE_MAX_BYTES);
    expect(got.sha256).toBe(up.sha256);
    await alice.request({ type: "delete_file", fileId: up.fileId });
  });

  it("bad headers, a bad signature and foreign keys are refused before anything is kept", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice"]);
    const body = Buffer.from("x");
    const bad: Array<[Record<string, string>, string]> = [
      [{}, "x-file-name"],
      [{ "X-File-Name": "a", "X-Tags": "not json" }, "x-tags"],
      [{ "X-File-Name": "a", "X-Persistent": "yes" }, "x-persistent"],
      [{ "X-File-Name": "a/b" }, "x-file-name"],
      [{ "X-File-Name": "a", "X-Encrypted": "true" }, "x-file-keys"],
      [
        {
          "X-File-Name": "a",
          "X-Encrypted": "true",
          "X-File-Keys": JSON.stringify([{ peerPubkey: "0".repeat(64), sealedKey: "YQ==" }]),
        },
        "not a member",
      ],
      [{ "X-File-Name": "a", "X-Owner-Pubkey": "1".repeat(64) }, "x-owner-pubkey"],
    ];
    for (const [headers, mentions] of bad) {
      const res = await rawUpload(broker(), mesh, m.alice!, body, headers);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: "invalid_argument",
        message: expect.stringContaining(mentions),
      });
    }
    const stranger = generateIdentity();
    const outsider = { ...m.alice!, pubkey: stranger.publicKey, secretKey: stranger.secretKey };
    expect(await rawUpload(broker(), mesh, outsider, body, { "X-File-Name": "a" })).toEqual({
      status: 401,
      body: { ok: false, error: "unauthorized" },
    });
    const forged = await fetch(`${broker().httpUrl}/upload`, {
      method: "POST",
      headers: {
        ...signHttpRequest({
          method: "POST",
          target: "/upload",
          meshId: mesh.meshId,
          pubkey: m.alice!.pubkey,
          secretKey: m.alice!.secretKey,
          body: "other",
        }).headers,
        "X-File-Name": "a",
      },
      body,
    });
    expect(forged.status).toBe(401);
    const alice = await connectMember(broker().url, mesh.meshId, m.alice!);
    expect(await alice.request({ type: "list_files" })).toMatchObject({ files: [] });
  });

  it("non-persistent files expire with their bytes; persistent ones stay", async () => {
    const b = shortLived();
    const { mesh, m } = await meshWith(b, ["alice", "bob"]);
    const [alice, bob] = await Promise.all(
      ["alice", "bob"].map((n) => connectMember(b.url, mesh.meshId, m[n]!)),
    );
    const since = bob!.mark();
    const kept = await uploadFile(b.url, who(mesh, m.alice!), {
      bytes: Buffer.from("kept"),
      name: "kept",
      recipients: [m.bob!.pubkey],
      persistent: true,
    });
    await bob!.waitForEvent("file_shared", { since });
    const mortal = await uploadFile(b.url, who(mesh, m.alice!), {
      bytes: Buffer.from("gone"),
      name: "gone",
      recipients: [m.bob!.pubkey],
    });
    await waitUntil(
      async () =>
        ((await alice!.request({ type: "list_files" })) as unknown as FileListFrame).files.length === 1,
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(await bob!.request({ type: "list_files" })).toMatchObject({ files: [{ id: kept.fileId }] });
    await waitUntil(() => !storedBlobs(b).includes(mortal.fileId), { timeoutMs: 5_000 });
    expect(storedBlobs(b)).toContain(kept.fileId);
  }, 30_000);

  it("nothing in the data dir holds the plaintext of an uploaded file", async () => {
    const { mesh, m } = await meshWith(broker(), ["alice", "bob"]);
    const marker = Buffer.from(`plaintext-marker-${nodeRandomBytes(8).toString("hex")}-`.repeat(2000));
    await uploadFile(broker().url, who(mesh, m.alice!), {
      bytes: marker,
      name: "m",
      recipients: [m.bob!.pubkey],
    });
    const needle = marker.subarray(0, 64);
    const all = filesUnder(broker().dataDir);
    expect(all.some((f) => f.includes(`${join("files", "")}`))).toBe(true);
    for (const file of all) {
      if (!statSync(file).isFile()) continue;
      expect(readFileSync(file).includes(needle), file).toBe(false);
    }
  });
});
