/**
 * Who can open a shared file (protocol.md §5.6, §6.6): every member of the mesh, those who join later
 * too — the file key then also goes under the mesh data key — or only the named member keys, which the
 * upload also names as its `X-Target-Spec`, so the broker hands the file to them alone. One rule for the
 * daemon and the web app.
 */
export interface FileRecipients {
  /** Member keys the file key is sealed to (the uploader's own is added at upload). */
  recipients: string[];
  /** For named recipients: the upload's target. */
  targetSpec?: string;
  /** For every member: the file key goes under the mesh data key as well. */
  everyone: boolean;
}

/** `named` null or empty: every member; else exactly those member keys. */
export function fileRecipients(named: readonly string[] | null): FileRecipients {
  if (named === null || named.length === 0) return { recipients: [], everyone: true };
  const recipients = [...named];
  return { recipients, targetSpec: recipients.join(","), everyone: false };
}
