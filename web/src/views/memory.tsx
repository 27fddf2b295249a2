/**
 * The mesh's memory (protocol.md §6.2): search by words (only their blind tokens leave this browser),
 * results opened with the mesh data key and shown as text with their tags and who remembered them;
 * remember something (sealed, with its search tokens); forget what you remembered.
 */
import { useState } from "preact/hooks";
import { memoryQueryTokens, sealMemory } from "../../../src/client/memory-skills.js";
import { meshDataKey, readText } from "../../../src/client/value-crypto.js";
import { MEMORY_CONTENT_MAX_CHARS } from "../../../src/protocol/families/memory.js";
import type { MemoryEntry } from "../../../src/protocol/frames.js";
import type { ViewProps } from "../dashboard.js";
import { messageOf } from "../mesh.js";

function tagsOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

export default function MemoryView({ mesh }: ViewProps) {
  const [key] = useState(() => meshDataKey(mesh.rootKey));
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<MemoryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rememberError, setRememberError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [content, setContent] = useState("");
  const [tags, setTags] = useState("");
  const [busy, setBusy] = useState(false);

  const search = async (event?: Event): Promise<void> => {
    event?.preventDefault();
    setNote(null);
    const tokens = memoryQueryTokens(query, mesh.rootKey);
    if (tokens.length === 0) {
      setError("search with words of 2 or more letters or digits");
      return;
    }
    try {
      const found = await mesh.client.recall("", tokens);
      setResults(found.map((m) => ({ ...m, content: readText(m.content, key) })));
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    }
  };

  const remember = async (event: Event): Promise<void> => {
    event.preventDefault();
    setNote(null);
    const text = content.trim();
    if (text === "") {
      setRememberError("write what the mesh should remember first");
      return;
    }
    const sealed = sealMemory(text, mesh.rootKey);
    if (sealed.content.length > MEMORY_CONTENT_MAX_CHARS) {
      setRememberError(`this is too long to remember: ${text.length} characters; shorten it`);
      return;
    }
    setBusy(true);
    try {
      const tagList = tagsOf(tags);
      await mesh.client.remember({ ...sealed, tags: tagList });
      setContent("");
      setTags("");
      setNote("Remembered.");
      setRememberError(null);
    } catch (err) {
      setRememberError(messageOf(err));
    }
    setBusy(false);
  };

  const forget = async (id: string): Promise<void> => {
    setNote(null);
    try {
      await mesh.client.forget(id);
      setResults((list) => list?.filter((m) => m.id !== id) ?? null);
      setNote("Forgotten.");
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <section id="memory-view">
      <h2>Memory</h2>
      <form id="memory-search" role="search" onSubmit={(e) => void search(e)}>
        <input
          id="memory-query"
          class="grow"
          type="search"
          placeholder="Search the mesh's memory"
          value={query}
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        />
        <button id="memory-find" type="submit">
          Search
        </button>
      </form>
      {error !== null && <p class="error">{error}</p>}
      {note !== null && <p class="muted">{note}</p>}
      {results !== null && (
        <>
          {results.length === 0 && <p class="muted">Nothing found.</p>}
          <ul id="memories" class="cards">
            {results.map((m) => (
              <li key={m.id} class="card memory" data-id={m.id}>
                <p class="memory-content">{m.content}</p>
                {m.tags.length > 0 && <p class="memory-tags mono">{m.tags.map((t) => `#${t}`).join(" ")}</p>}
                <p class="memory-meta muted">
                  {m.rememberedBy} · {new Date(m.rememberedAt).toLocaleString()}
                </p>
                {m.rememberedBy === mesh.membership.displayName && (
                  <button class="danger memory-forget" type="button" onClick={() => void forget(m.id)}>
                    Forget
                  </button>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Remember something</h3>
      <form id="memory-remember" onSubmit={(e) => void remember(e)}>
        <textarea
          id="memory-content"
          class="grow"
          rows={3}
          required
          placeholder="What the mesh should remember"
          value={content}
          onInput={(e) => setContent((e.target as HTMLTextAreaElement).value)}
        />
        <input
          id="memory-tags"
          placeholder="tags"
          value={tags}
          onInput={(e) => setTags((e.target as HTMLInputElement).value)}
        />
        <button id="memory-save" type="submit" disabled={busy}>
          Remember
        </button>
      </form>
      {rememberError !== null && (
        <p id="memory-remember-error" class="error" role="alert">
          {rememberError}
        </p>
      )}
    </section>
  );
}
