/**
 * Files on three broker nodes sharing one PostgreSQL database (protocol.md §4.14, §6.6): a file uploaded
 * through node 1 downloads from node 3 (the bytes live in the database, not on a node), `file_shared`
 * reaches a recipient connected to another node, a 413 keeps no chunk, and the tables hold no plaintext.
 * Skipped without `TEST_DATABASE_URL`.
 */
import { randomBytes as nodeRandomBytes } from "node:crypto";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { downloadFile, uploadFile } from "../../src/client/file-transfer.js";
import { randomBytes } from "../../src/crypto/index.js";
import { FILE_MAX_BYTES, type FileUrl } from "../../src/protocol/index.js";
import { rawUpload } from "../helpers/file-upload.js";
import { connectMember, meshWith } from "../helpers/broker.js";
import { useCluster } from "../helpers/cluster.js";
import { postgresAvailable } from "../helpers/postgres.js";

describe.skipIf(!postgresAvailable("files cluster"))("files on three nodes", () => {
  const { url, node } = useCluster("cm_files");

  it("uploaded through node 1, announced on node 2, downloaded byte-identical from node 3", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob"]);
    const bob = await connectMember(node(1).url, mesh.meshId, m.bob!);
    const bobOn3 = await connectMember(node(2).url, mesh.meshId, m.bob!);
    const since = bob.mark();
    const plaintext = randomBytes(3 * 1024 * 1024 + 17);
    const up = await uploadFile(
      node(0).url,
      { meshId: mesh.meshId, publicKey: m.alice!.pubkey, secretKey: m.alice!.secretKey },
      { bytes: plaintext, name: "data.bin", recipients: [m.bob!.pubkey], targetSpec: m.bob!.pubkey },
    );
    expect(await bob.waitForEvent("file_shared", { since })).toMatchObject({
      eventData: { fileId: up.fileId, from: "alice" },
    });
    const reply = (await bobOn3.request({ type: "get_file", fileId: up.fileId })) as unknown as FileUrl;
    const got = await downloadFile(node(2).url, reply, {
      publicKey: m.bob!.pubkey,
      secretKey: m.bob!.secretKey,
    });
    expect(Buffer.from(got.bytes).equals(Buffer.from(plaintext))).toBe(true);
  });

  it("the database holds no plaintext of an upload, and a refused one leaves no chunk", async () => {
    const { mesh, m } = await meshWith(node(0), ["alice", "bob"]);
    const marker = Buffer.from(`pg-plaintext-${nodeRandomBytes(8).toString("hex")}|`.repeat(4000));
    const who = { meshId: mesh.meshId, publicKey: m.alice!.pubkey, secretKey: m.alice!.secretKey };
    const up = await uploadFile(node(1).url, who, { bytes: marker, name: "m", recipients: [m.bob!.pubkey] });
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const needle = marker.subarray(0, 48);
      const [hits] = await sql<{ n: string }[]>`
        SELECT COUNT(*) AS n FROM file_chunks WHERE position(${needle}::bytea in data) > 0`;
      expect(Number(hits?.n)).toBe(0);
      const [chunks] = await sql<
        { n: string }[]
      >`SELECT COUNT(*) AS n FROM file_chunks WHERE file_id = ${up.fileId}`;
      expect(Number(chunks?.n)).toBeGreaterThan(0);
      // Every text column of every table: the marker's text appears nowhere.
      const text = needle.toString();
      const columns = await sql<{ table_name: string; column_name: string }[]>`
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND data_type IN ('text', 'jsonb')`;
      for (const c of columns) {
        const [row] = await sql<{ n: string }[]>`
          SELECT COUNT(*) AS n FROM ${sql(c.table_name)} WHERE ${sql(c.column_name)}::text LIKE ${`%${text}%`}`;
        expect(Number(row?.n), `${c.table_name}.${c.column_name}`).toBe(0);
      }
      const before = await sql<{ n: string }[]>`SELECT COUNT(DISTINCT file_id) AS n FROM file_chunks`;
      const over = Buffer.alloc(FILE_MAX_BYTES + 1, 7);
      for (const chunked of [false, true]) {
        const res = await rawUpload(node(2), mesh, m.alice!, over, { "X-File-Name": "big" }, chunked);
        expect(res).toMatchObject({ status: 413, body: { error: "too_large" } });
      }
      const after = await sql<{ n: string }[]>`SELECT COUNT(DISTINCT file_id) AS n FROM file_chunks`;
      expect(after[0]?.n).toBe(before[0]?.n);
    } finally {
      await sql.end();
    }
  });
});
