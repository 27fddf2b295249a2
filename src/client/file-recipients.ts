/**
 * Who a shared file's key is sealed to (protocol.md §5.6): every member of the mesh, or only the named
 * member keys — then the upload also names them as its `X-Target-Spec`, so the broker hands the file to
 * them alone. One rule for the daemon and the web app.
 */
export interface FileRecipients {
  recipients: string[];
  targetSpec?: string;
}

/** `named` null or empty: everyone in `members`; else exactly those member keys. */
export function fileRecipients(
  members: readonly { pubkey: string }[],
  named: readonly string[] | null,
): FileRecipients {
  if (named === null || named.length === 0) return { recipients: members.map((m) => m.pubkey) };
  const recipients = [...named];
  return { recipients, targetSpec: recipients.join(",") };
}
