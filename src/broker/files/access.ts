/**
 * Who may read a file (protocol.md §5.6, §6.6), the one rule `get_file` and `GET /download` share: a
 * file uploaded for named recipients is for them alone, and an encrypted file is served only to a
 * member holding a key sealed to it, or, for a file without recipients named, with its key under the mesh
 * data key (which every member holds), never as a fallback.
 */
import { MESH_FILE_KEY } from "../../protocol/index.js";
import type { BrokerContext } from "../context.js";
import type { FileRow } from "../store/port/index.js";

export interface Reader {
  memberId: string;
  memberPubkey: string;
  displayName: string;
}

export type ReadAccess =
  | { ok: true; sealedKey: string | null }
  | { ok: false; message: "file not targeted at you" | "no decryption key for this file" };

/** Whether `targetSpec` (recipients joined by `,`: member pubkeys from our clients, or names) names the reader. */
function targets(targetSpec: string, reader: Reader): boolean {
  return targetSpec
    .split(",")
    .map((t) => t.trim().replace(/^@/, ""))
    .some((t) => t === reader.memberPubkey || t === reader.displayName);
}

export async function readAccess(ctx: BrokerContext, file: FileRow, reader: Reader): Promise<ReadAccess> {
  // A key sealed to the reader (at upload or by a later grant) is what lets it read an encrypted file.
  const sealedKey = file.encrypted ? await ctx.store.fileKey(file.id, reader.memberPubkey) : null;
  if (sealedKey !== null) return { ok: true, sealedKey };
  const uploader = file.uploaderMemberId === reader.memberId;
  if (file.targetSpec && !uploader && !targets(file.targetSpec, reader)) {
    return { ok: false, message: "file not targeted at you" };
  }
  if (!file.encrypted) return { ok: true, sealedKey: null };
  // A file for every member, those who joined after it too: its key under the mesh data key.
  const meshKey = file.targetSpec ? null : await ctx.store.fileKey(file.id, MESH_FILE_KEY);
  return meshKey === null
    ? { ok: false, message: "no decryption key for this file" }
    : { ok: true, sealedKey: meshKey };
}
