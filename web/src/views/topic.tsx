/**
 * One open topic (protocol.md §6.4): its history opened with the topic key (§5.4) from the shared keyring,
 * fetched when missing and asked for again while it has not been sealed for this member; live posts from
 * `mesh.topicPosts`; join and leave; a post sealed under the topic key in this browser (`bodyVersion` 2)
 * and sent to `#<name>`; a file shared with the topic's members and announced in it.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { encryptForTarget } from "../../../src/client/push-crypto.js";
import { openTopicHistoryEntry } from "../../../src/client/topic-history.js";
import type { TopicEntry } from "../../../src/protocol/families/topics.js";
import { useAction } from "../action.js";
import { messageTextProblem } from "../compose.js";
import { formatSize, shareFile } from "../files-share.js";
import { messageOf, type TopicPost, type WebMesh } from "../mesh.js";
import { useWhenOnline } from "../online.js";
import { useEvent } from "../store.js";

/** How often a missing topic key is asked for again while the topic is open. */
const KEY_RETRY_MS = 2_000;
const HISTORY_POLL_MS = 5_000;

interface Post {
  id: string;
  fromName: string;
  text: string;
  /** The body could not be opened: `text` says why. */
  unreadable: boolean;
  at: string;
  mine: boolean;
}

export function Topic(props: { mesh: WebMesh; topic: TopicEntry; onChanged: () => void }) {
  const { mesh, topic } = props;
  const joined = topic.joined === true;
  const [posts, setPosts] = useState<Post[] | null>(null);
  const [keyMissing, setKeyMissing] = useState(false);
  const [text, setText] = useState("");
  const { busy, error, setError, run: act } = useAction(props.onChanged);
  /** Why the history could not be read (the next read that works clears it; an action's error stays). */
  const [loadError, setLoadError] = useState<string | null>(null);
  const [attaching, setAttaching] = useState<{ name: string; done: number; total: number } | null>(null);
  const [attachKey, setAttachKey] = useState(0);
  const end = useRef<HTMLDivElement>(null);
  const self = mesh.membership.pubkey;

  const load = async (): Promise<void> => {
    try {
      const reply = await mesh.client.topicHistory(topic.name, { limit: 100 });
      const topicId = reply.topicId ?? topic.id;
      mesh.topics.learn(topicId, reply.topic);
      const key =
        mesh.topics.cached(topicId) ?? (await mesh.topics.fetch(topicId, false).catch(() => null))?.key;
      setKeyMissing(key === undefined && joined);
      const opened = reply.messages.map((m): Post => {
        const body = openTopicHistoryEntry(m, { id: topicId, name: reply.topic }, key);
        return {
          id: m.id,
          fromName: m.senderName,
          text: body.ok
            ? body.text
            : body.reason === "no_key"
              ? "This post cannot be opened yet: waiting for the topic key."
              : `This post could not be opened (${body.reason}).`,
          unreadable: !body.ok,
          at: m.createdAt,
          mine: (m.senderMemberPubkey ?? m.senderPubkey) === self,
        };
      });
      // The broker pages newest first; people read oldest first.
      setPosts(opened.reverse());
      setLoadError(null);
      if (joined) {
        await mesh.client.markTopicRead(topic.name).catch(() => undefined);
        props.onChanged();
      }
    } catch (err) {
      setLoadError(messageOf(err));
      setPosts((p) => p ?? []);
    }
  };

  useWhenOnline(mesh, () => void load(), [topic.id, joined]);

  // While this member's copy of the key has not been sealed, ask again now and then.
  useEffect(() => {
    if (!keyMissing) return;
    const timer = setInterval(() => {
      void mesh.topics
        .fetch(topic.id, false)
        .then((held) => {
          if (held !== null) void load();
        })
        .catch(() => undefined);
    }, KEY_RETRY_MS);
    return () => clearInterval(timer);
  }, [keyMissing, topic.id]);

  // A browser present as a session of a CLI user gets no live posts (the member's daemon takes them,
  // protocol.md §4.6): it reads the history again every few seconds instead.
  useEffect(() => {
    if (mesh.membership.presence !== "session") return;
    const timer = setInterval(() => void load(), HISTORY_POLL_MS);
    return () => clearInterval(timer);
  }, [topic.id, joined]);

  useEvent(
    mesh.topicPosts,
    (post: TopicPost) => {
      if (post.topicId !== topic.id && post.topic !== topic.name) return;
      setPosts((list) =>
        list === null || list.some((p) => p.id === post.id)
          ? list
          : [
              ...list,
              {
                id: post.id,
                fromName: post.fromName,
                text: post.text,
                unreadable: post.text.startsWith("(could not be decrypted"),
                at: post.at,
                mine: post.fromPubkey === self,
              },
            ],
      );
      if (joined) void mesh.client.markTopicRead(topic.name).catch(() => undefined);
    },
    [topic.id, joined],
  );

  useEffect(() => end.current?.scrollIntoView({ block: "end" }), [posts?.length]);

  const join = (): Promise<void> =>
    act(async () => {
      await mesh.client.joinTopic(topic.name);
      // A newcomer's copy is sealed by a holder; ask for it now in case one is already there.
      void mesh.topics.fetch(topic.name, false).catch(() => null);
    });
  const leave = (): Promise<void> => act(() => mesh.client.leaveTopic(topic.name));

  /** Seals `body` under the topic key and sends it to `#<name>`. */
  const send = async (body: string): Promise<void> => {
    const found = await mesh.topics.keyFor(topic.id);
    if (found === null) {
      setKeyMissing(true);
      throw new Error("your copy of this topic's key has not arrived yet; try again shortly");
    }
    const targetSpec = `#${topic.name}`;
    const sealed = encryptForTarget(body, targetSpec, mesh.rootKey, found.key);
    const ack = await mesh.client.send({ targetSpec, ...sealed });
    if (!ack.queued) throw new Error(`the broker did not take the post: ${ack.error ?? "no reason given"}`);
    setPosts((list) => [
      ...(list ?? []),
      {
        id: ack.messageId ?? `local-${Date.now()}`,
        fromName: mesh.membership.displayName,
        text: body,
        unreadable: false,
        at: new Date().toISOString(),
        mine: true,
      },
    ]);
  };

  const post = async (event: Event): Promise<void> => {
    event.preventDefault();
    const wrong = messageTextProblem(text);
    if (wrong !== null) {
      setError(wrong);
      return;
    }
    await act(async () => {
      await send(text.trim());
      setText("");
    });
  };

  /** Shares a file with the topic's members, then posts its name and id into the topic. */
  const attach = async (file: File): Promise<void> => {
    setAttaching({ name: file.name, done: 0, total: 0 });
    await act(async () => {
      try {
        const { members } = await mesh.client.topicMembers(topic.name);
        const keys = members.map((m) => m.pubkey);
        const up = await shareFile(mesh, file, keys.length > 0 ? keys : [self], (done, total) =>
          setAttaching({ name: file.name, done, total }),
        );
        await send(`shared a file: ${file.name} (${formatSize(up.size)}), file id ${up.fileId}`);
      } finally {
        setAttaching(null);
        setAttachKey((k) => k + 1);
      }
    });
  };

  return (
    <>
      <div class="topic-head">
        <h2 class="topic-title">#{topic.name}</h2>
        <span class="badge">{topic.visibility}</span>
        <span class="muted">
          {topic.memberCount} member{topic.memberCount === 1 ? "" : "s"}
        </span>
        {joined ? (
          <button id="topic-leave" type="button" disabled={busy} onClick={() => void leave()}>
            Leave
          </button>
        ) : (
          <button id="topic-join" type="button" disabled={busy} onClick={() => void join()}>
            Join
          </button>
        )}
      </div>
      {topic.description !== "" && <p class="muted">{topic.description}</p>}
      {error !== null && <p class="error">{error}</p>}
      {loadError !== null && <p class="error">{loadError}</p>}
      {keyMissing && (
        <p id="topic-key-waiting" class="muted">
          Waiting for the topic key: a member who holds it seals a copy for you while online.
        </p>
      )}
      {posts === null ? (
        <p>Loading…</p>
      ) : (
        <ol id="topic-posts" class="chat">
          {posts.length === 0 && <li class="muted">No posts yet.</li>}
          {posts.map((p) => (
            <li
              key={p.id}
              class={`chat-message topic-post ${p.mine ? "mine" : "theirs"}${p.unreadable ? " unreadable" : ""}`}
            >
              {!p.mine && <span class="chat-from">{p.fromName}</span>}
              <span class="chat-text">{p.text}</span>
              <span class="chat-meta">{new Date(p.at).toLocaleString()}</span>
            </li>
          ))}
        </ol>
      )}
      <div ref={end} />
      {joined && (
        <form class="compose" onSubmit={(e) => void post(e)}>
          <textarea
            id="topic-compose-text"
            rows={2}
            placeholder={`Post to #${topic.name}`}
            value={text}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) void post(e);
            }}
          />
          <button id="topic-compose-send" type="submit" disabled={busy || keyMissing}>
            Post
          </button>
          {!keyMissing && (
            <label class="button topic-attach" title="Share a file with this topic's members">
              Attach
              <input
                key={attachKey}
                id="topic-attach"
                class="attach-input"
                type="file"
                disabled={busy || keyMissing}
                onChange={(e) => {
                  const file = (e.target as HTMLInputElement).files?.[0];
                  if (file !== undefined) void attach(file);
                }}
              />
            </label>
          )}
        </form>
      )}
      {attaching !== null && (
        <p id="topic-attach-progress" class="file-transfer">
          Encrypting and uploading {attaching.name}{" "}
          <progress
            value={attaching.total > 0 ? attaching.done : undefined}
            max={attaching.total > 0 ? attaching.total : undefined}
          />
        </p>
      )}
    </>
  );
}
