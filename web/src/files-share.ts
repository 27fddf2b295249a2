/**
 * Sharing a file from this browser (protocol.md §5.6): encrypted here under a fresh file key sealed to each
 * named recipient's member key, or for everyone under the mesh data key, uploaded through the browser
 * transport. Used by the files view and by a topic's
 * attach button.
 */
import { fileRecipients } from "../../src/client/file-recipients.js";
import { uploadFile, type UploadResult } from "../../src/client/file-transfer.js";
import { meshDataKey } from "../../src/client/value-crypto.js";
import { FILE_MAX_BYTES } from "../../src/protocol/families/files.js";
import type { WebMesh } from "./mesh.js";
import { browserTransport } from "./transfer.js";

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Shares `file` with every member (`named` null) or with exactly the member keys in `named` (the upload
 * then names them as its target, so no one else may fetch it).
 */
export async function shareFile(
  mesh: WebMesh,
  file: File,
  named: readonly string[] | null,
  onProgress: (done: number, total: number) => void,
): Promise<UploadResult> {
  if (file.size > FILE_MAX_BYTES) {
    throw new Error(`${file.name} is ${formatSize(file.size)}; a shared file holds at most 50 MB`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const { recipients, targetSpec, everyone } = fileRecipients(named);
  const { membership } = mesh;
  return uploadFile(
    membership.brokerUrl,
    { meshId: membership.meshId, publicKey: membership.pubkey, secretKey: membership.secretKey },
    {
      bytes,
      name: file.name,
      recipients,
      ...(targetSpec === undefined ? {} : { targetSpec }),
      ...(everyone ? { meshDataKey: meshDataKey(mesh.rootKey) } : {}),
      onProgress,
      transport: browserTransport,
    },
  );
}
