/**
 * Shared state (protocol.md §6.1): every key of the mesh with its value as JSON text, who set it and
 * when, live through `state_change`; set a key to a JSON value or to plain text. Values are sealed with
 * the mesh data key before they leave and opened here (§5.8).
 */
import { useState } from "preact/hooks";
import { meshDataKey, openStateValue } from "../../../src/client/value-crypto.js";
import { STATE_KEY_MAX_CHARS, type StateEntry } from "../../../src/protocol/families/state.js";
import type { ViewProps } from "../dashboard.js";
import { tooLong } from "../limits.js";
import { messageOf } from "../mesh.js";
import { useWhenOnline } from "../online.js";
import { useEvent, useValue } from "../store.js";

/** A value as the table shows it: JSON text (strings quoted), never markup. */
export function jsonText(value: unknown): string {
  if (value === undefined) return "";
  try {
    return JSON.stringify(value, null, 1).replace(/\n\s*/g, " ");
  } catch {
    return String(value);
  }
}

/** What the value field means: JSON when it parses as JSON, else the text as a string. */
export function valueOfInput(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export default function StateView({ mesh }: ViewProps) {
  const connection = useValue(mesh.connection);
  const [entries, setEntries] = useState<StateEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [changed, setChanged] = useState<string | null>(null);
  const [key] = useState(() => meshDataKey(mesh.rootKey));
  const [name, setName] = useState("");
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);

  const [loadError, setLoadError] = useState<string | null>(null);

  useWhenOnline(mesh, () => {
    mesh.client.listState({ rootKey: mesh.rootKey }).then(
      (list) => {
        setEntries([...list].sort((a, b) => a.key.localeCompare(b.key)));
        setLoadError(null);
      },
      (err: unknown) => setLoadError(messageOf(err)),
    );
  });

  const put = (entry: StateEntry): void => {
    setEntries((list) =>
      [...list.filter((e) => e.key !== entry.key), entry].sort((a, b) => a.key.localeCompare(b.key)),
    );
    setChanged(entry.key);
  };
  useEvent(mesh.stateChanges, (change) => {
    // A shared context is announced as `_context:<name>` (§6.7): not a state key.
    if (change.key.startsWith("_context:")) return;
    const opened = openStateValue(change.value, key);
    put({
      key: change.key,
      value: opened.undecryptable ? "[encrypted with a key this mesh does not have]" : opened.value,
      updatedBy: change.updatedBy,
      updatedAt: new Date().toISOString(),
    });
  });

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const k = name.trim();
    if (k === "") {
      setError("give the key a name");
      return;
    }
    const long = tooLong("the key", k, STATE_KEY_MAX_CHARS);
    if (long !== null) {
      setError(long);
      return;
    }
    const value = valueOfInput(text);
    setBusy(true);
    try {
      await mesh.client.setState(k, value, { rootKey: mesh.rootKey });
      put({ key: k, value, updatedBy: mesh.membership.displayName, updatedAt: new Date().toISOString() });
      setText("");
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    }
    setBusy(false);
  };

  return (
    <section id="state-view">
      <h2>State</h2>
      <form id="state-set" onSubmit={(e) => void submit(e)}>
        <input
          id="state-key"
          placeholder="key"
          required
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
        <input
          id="state-value"
          class="grow"
          placeholder='value: JSON ({"a":1}, 42, true) or plain text'
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button id="state-save" type="submit" disabled={busy}>
          Set
        </button>
      </form>
      {error !== null && (
        <p id="state-error" class="error" role="alert">
          {error}
        </p>
      )}
      {loadError !== null && <p class="error">{loadError}</p>}
      <div class="scroll">
        <table id="state">
          <thead>
            <tr>
              <th>Key</th>
              <th>Value</th>
              <th>Set by</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr
                key={entry.key}
                class={`state-entry${entry.key === changed ? " changed" : ""}`}
                data-key={entry.key}
              >
                <td class="state-key mono">{entry.key}</td>
                <td class="state-value mono">{jsonText(entry.value)}</td>
                <td class="state-by">{entry.updatedBy}</td>
                <td class="state-at">
                  {entry.updatedAt === "" ? "" : new Date(entry.updatedAt).toLocaleString()}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {entries.length === 0 && connection.kind === "online" && <p class="muted">No keys yet.</p>}
    </section>
  );
}
