/**
 * Keys of this browser: the welcome page when it is in no mesh yet (join with an invite link, or import an
 * export file from another device), and the import form used there and in the Keys view.
 */
import { useState } from "preact/hooks";
import { importText, saveMembership, type Membership } from "../membership.js";

export function ImportForm({ onImported }: { onImported: (membership: Membership) => void }) {
  const [error, setError] = useState<string | null>(null);
  const onFile = async (event: Event): Promise<void> => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file === undefined) return;
    const imported = importText(await file.text());
    if (typeof imported === "string") {
      setError(imported);
      return;
    }
    setError(null);
    saveMembership(imported);
    onImported(imported);
  };
  return (
    <div class="import">
      <label>
        Import an identity file{" "}
        <input
          id="import-file"
          type="file"
          accept=".json,application/json"
          onChange={(e) => void onFile(e)}
        />
      </label>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function Welcome(props: { error: string | null; onImported: (membership: Membership) => void }) {
  return (
    <section class="welcome">
      <h1>claudemesh</h1>
      {props.error !== null && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <p>
        Open an invite link (<code>http://…/join/…#…</code>) to join a mesh from this browser, or run{" "}
        <code>claudemesh open</code> on a computer in the mesh to use its identity here.
      </p>
      <ImportForm onImported={props.onImported} />
    </section>
  );
}
