/**
 * Topics (protocol.md §6.4): the mesh's topics with whether this member is in each and how many posts are
 * unread, and a form to create one (public or private). The topic picked is opened by `Topic`.
 */
import { useState } from "preact/hooks";
import { TOPIC_NAME_MAX_CHARS, type TopicEntry } from "../../../src/protocol/families/topics.js";
import type { ViewProps } from "../dashboard.js";
import { tooLong } from "../limits.js";
import { messageOf, type WebMesh } from "../mesh.js";
import { useWhenOnline } from "../online.js";
import { useEvent } from "../store.js";
import { Topic } from "./topic.js";

export default function TopicsView({ mesh, go, arg }: ViewProps) {
  const [topics, setTopics] = useState<TopicEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = (): void => {
    mesh.client.listTopics().then(
      (reply) => {
        for (const t of reply.topics) mesh.topics.learn(t.id, t.name);
        setTopics(reply.topics);
        setError(null);
      },
      (err: unknown) => setError(messageOf(err)),
    );
  };
  useWhenOnline(mesh, refresh);
  // Unread counts move with every post; names with every create.
  useEvent(mesh.topicPosts, () => refresh(), [mesh]);

  const selected = arg === null ? null : (topics?.find((t) => t.name === arg) ?? null);

  return (
    <section class="split topics">
      <div class="topic-side">
        <ul id="topics" class="list">
          {(topics ?? []).map((t) => (
            <li key={t.id} class={`topic${t.name === arg ? " current" : ""}`} data-topic={t.name}>
              <a
                href={`/?view=topics&with=${encodeURIComponent(t.name)}`}
                onClick={(e) => {
                  e.preventDefault();
                  go("topics", t.name);
                }}
              >
                <span class="topic-name">#{t.name}</span>
                {t.visibility === "private" && <span class="badge topic-private">private</span>}
                {t.joined !== true && <span class="muted topic-not-member">not joined</span>}
                {(t.unread ?? 0) > 0 && t.name !== arg && <span class="badge topic-unread">{t.unread}</span>}
              </a>
            </li>
          ))}
        </ul>
        {topics !== null && topics.length === 0 && <p class="muted">No topics yet.</p>}
        <CreateTopic mesh={mesh} onCreated={(name) => (refresh(), go("topics", name))} />
      </div>
      <div class="topic-pane">
        {error !== null && <p class="error">{error}</p>}
        {arg === null ? (
          <p>Choose a topic.</p>
        ) : topics === null ? (
          <p>Loading…</p>
        ) : selected === null ? (
          <p class="error">There is no topic #{arg} you can see.</p>
        ) : (
          <Topic key={selected.id} mesh={mesh} topic={selected} onChanged={refresh} />
        )}
      </div>
    </section>
  );
}

function CreateTopic(props: { mesh: WebMesh; onCreated: (name: string) => void }) {
  const [name, setName] = useState("");
  const [isPrivate, setPrivate] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const wanted = name.trim().replace(/^#/, "");
    if (wanted === "") {
      setError("give the topic a name");
      return;
    }
    const long = tooLong("the name", wanted, TOPIC_NAME_MAX_CHARS);
    if (long !== null) {
      setError(long);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const created = await props.mesh.client.createTopic({
        name: wanted,
        visibility: isPrivate ? "private" : "public",
      });
      props.mesh.topics.learn(created.topic.id, created.topic.name);
      // The creator makes the key (a keyless topic this member is in is claimed the same way).
      await props.mesh.topics.keyFor(created.topic.id).catch(() => null);
      setName("");
      props.onCreated(created.topic.name);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form id="topic-create" class="topic-create" onSubmit={(e) => void submit(e)}>
      <h3>New topic</h3>
      <input
        id="topic-create-name"
        aria-label="Topic name"
        placeholder="name"
        value={name}
        onInput={(e) => setName((e.target as HTMLInputElement).value)}
      />
      <label>
        <input
          id="topic-create-private"
          type="checkbox"
          checked={isPrivate}
          onChange={(e) => setPrivate((e.target as HTMLInputElement).checked)}
        />{" "}
        private
      </label>
      <button id="topic-create-submit" type="submit" disabled={busy}>
        Create
      </button>
      {error !== null && <p class="error">{error}</p>}
    </form>
  );
}
