/**
 * Shared files (protocol.md §5.6, §6.6, §7.2): the list, upload (a file input or a drop onto the view) for
 * everyone or for named members, download and delete. The file is encrypted in this browser under a fresh
 * file key sealed to each recipient's member key, and opened here on download; the broker stores only
 * ciphertext. New files shared with this member (`file_shared`) refresh the list, and so does every
 * (re)connect.
 */
import { useState } from "preact/hooks";
import { downloadFile } from "../../../src/client/file-transfer.js";
import { meshDataKey } from "../../../src/client/value-crypto.js";
import { sharedFileSize } from "../../../src/crypto/files.js";
import type { FileEntry } from "../../../src/protocol/families/files.js";
import type { MemberEntry } from "../../../src/protocol/families/presence.js";
import type { ViewProps } from "../dashboard.js";
import { formatSize, shareFile } from "../files-share.js";
import { messageOf, type WebMesh } from "../mesh.js";
import { useWhenOnline } from "../online.js";
import { useEvent } from "../store.js";
import { browserTransport } from "../transfer.js";

interface Transfer {
  label: string;
  done: number;
  total: number;
}

/** Who each file uploaded from this page was for (the broker's list does not say). */
const sharedFor = new Map<string, string>();

/** Hands `bytes` to the browser as a download named `name` (a Blob URL, revoked soon after). */
function save(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export default function FilesView({ mesh }: ViewProps) {
  const [files, setFiles] = useState<FileEntry[] | null>(null);
  const [members, setMembers] = useState<MemberEntry[]>([]);
  /** What went wrong with an upload, a download or a delete. */
  const [error, setError] = useState<string | null>(null);
  /** Why the list could not be loaded (cleared by the next load that works). */
  const [listError, setListError] = useState<string | null>(null);
  const [transfer, setTransfer] = useState<Transfer | null>(null);
  const isAdmin = mesh.membership.role === "owner" || mesh.membership.role === "admin";

  const refresh = (): void => {
    mesh.client.listFiles().then(
      (list) => {
        setFiles(list.files);
        setListError(null);
      },
      (err: unknown) => setListError(messageOf(err)),
    );
  };
  useWhenOnline(mesh, () => {
    refresh();
    mesh.client.listMembers().then(setMembers, (err: unknown) => setListError(messageOf(err)));
  });
  useEvent(
    mesh.systemEvents,
    (event) => {
      if (event.event === "file_shared") refresh();
    },
    [mesh],
  );

  const download = async (file: FileEntry): Promise<void> => {
    setError(null);
    setTransfer({ label: `Downloading ${file.name}`, done: 0, total: file.size });
    try {
      const reply = await mesh.client.getFile(file.id);
      const got = await downloadFile(
        mesh.membership.brokerUrl,
        reply,
        {
          publicKey: mesh.membership.pubkey,
          secretKey: mesh.membership.secretKey,
          meshDataKey: meshDataKey(mesh.rootKey),
        },
        (done, total) => setTransfer({ label: `Downloading ${file.name}`, done, total }),
        browserTransport,
      );
      save(got.bytes, reply.name);
    } catch (err) {
      setError(`${file.name}: ${messageOf(err)}`);
    } finally {
      setTransfer(null);
    }
  };

  const remove = async (file: FileEntry): Promise<void> => {
    setError(null);
    try {
      await mesh.client.deleteFile(file.id);
      refresh();
    } catch (err) {
      setError(`${file.name}: ${messageOf(err)}`);
    }
  };

  return (
    <section class="files">
      <h2>Files</h2>
      <Upload
        mesh={mesh}
        members={members}
        busy={transfer !== null}
        onProgress={setTransfer}
        onError={setError}
        onDone={refresh}
      />
      {transfer !== null && (
        <p id="file-transfer" class="file-transfer">
          {transfer.label}{" "}
          <progress
            value={transfer.total > 0 ? transfer.done : undefined}
            max={transfer.total > 0 ? transfer.total : undefined}
          />
        </p>
      )}
      {error !== null && <p class="error">{error}</p>}
      {listError !== null && <p class="error">{listError}</p>}
      {files === null ? (
        <p>Loading…</p>
      ) : files.length === 0 ? (
        <p class="muted">No files shared yet.</p>
      ) : (
        <div class="scroll">
          <table id="files">
            <thead>
              <tr>
                <th>Name</th>
                <th>Size</th>
                <th>Shared by</th>
                <th>When</th>
                <th>For</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.id} class="file" data-file-id={f.id}>
                  <td class="file-name">
                    {f.name}
                    {!f.encrypted && <span class="badge">not encrypted</span>}
                  </td>
                  <td class="file-size">{formatSize(sharedFileSize(f.size, f.encrypted))}</td>
                  <td class="file-by">{f.uploadedBy}</td>
                  <td class="file-when">{new Date(f.uploadedAt).toLocaleString()}</td>
                  <td class="file-for">{sharedFor.get(f.id) ?? "shared with you"}</td>
                  <td class="file-actions">
                    <button
                      class="file-download"
                      type="button"
                      disabled={transfer !== null}
                      onClick={() => void download(f)}
                    >
                      Download
                    </button>
                    {(isAdmin || f.uploadedBy === mesh.membership.displayName) && (
                      <button class="file-delete danger" type="button" onClick={() => void remove(f)}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Upload(props: {
  mesh: WebMesh;
  members: MemberEntry[];
  busy: boolean;
  onProgress: (transfer: Transfer | null) => void;
  onError: (error: string | null) => void;
  onDone: () => void;
}) {
  const { mesh } = props;
  const [file, setFile] = useState<File | null>(null);
  const [everyone, setEveryone] = useState(true);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [dragging, setDragging] = useState(false);
  // Changing it gives a fresh, empty file input after an upload.
  const [inputKey, setInputKey] = useState(0);
  const others = props.members.filter((m) => m.pubkey !== mesh.membership.pubkey);

  const upload = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (file === null) return;
    props.onError(null);
    if (!everyone && chosen.size === 0) {
      props.onError("choose at least one member, or everyone");
      return;
    }
    const label = `Encrypting and uploading ${file.name}`;
    props.onProgress({ label, done: 0, total: 0 });
    try {
      const up = await shareFile(mesh, file, everyone ? null : [...chosen], (done, total) =>
        props.onProgress({ label, done, total }),
      );
      sharedFor.set(
        up.fileId,
        everyone
          ? "everyone"
          : others
              .filter((m) => chosen.has(m.pubkey))
              .map((m) => m.displayName)
              .join(", "),
      );
      setFile(null);
      setInputKey((k) => k + 1);
      props.onDone();
    } catch (err) {
      props.onError(`${file.name}: ${messageOf(err)}`);
    } finally {
      props.onProgress(null);
    }
  };

  return (
    <form
      id="file-upload-form"
      class={`file-upload${dragging ? " dragging" : ""}`}
      onSubmit={(e) => void upload(e)}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const dropped = e.dataTransfer?.files[0];
        if (dropped !== undefined) setFile(dropped);
      }}
    >
      <label class="file-pick">
        <span>
          {file === null ? "Choose a file or drop one here" : `${file.name} (${formatSize(file.size)})`}
        </span>
        <input
          key={inputKey}
          id="file-input"
          type="file"
          onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
        />
      </label>
      <fieldset class="file-recipients">
        <legend>For</legend>
        <label>
          <input
            id="file-for-everyone"
            type="radio"
            name="file-for"
            checked={everyone}
            onChange={() => setEveryone(true)}
          />{" "}
          everyone
        </label>
        <label>
          <input
            id="file-for-named"
            type="radio"
            name="file-for"
            checked={!everyone}
            onChange={() => setEveryone(false)}
          />{" "}
          only
        </label>
        {!everyone &&
          others.map((m) => (
            <label key={m.pubkey} class="file-recipient">
              <input
                type="checkbox"
                value={m.pubkey}
                checked={chosen.has(m.pubkey)}
                onChange={(e) => {
                  const next = new Set(chosen);
                  if ((e.target as HTMLInputElement).checked) next.add(m.pubkey);
                  else next.delete(m.pubkey);
                  setChosen(next);
                }}
              />{" "}
              {m.displayName}
            </label>
          ))}
      </fieldset>
      <button id="file-upload" type="submit" disabled={file === null || props.busy}>
        Upload
      </button>
    </form>
  );
}
