/**
 * Direct conversations, end to end encrypted in this browser: the members of the mesh on the left (with
 * unread marks), the conversation on the right with what became of each message sent (queued, held,
 * delivered, expired — §4.11; or waiting, with why, until the broker can take it). Broadcasts and group
 * messages this member received are conversations too. A conversation is with a member; what is written
 * in it goes to the session of that member that wrote last while it is online (as the CLI's reply does),
 * else to the member.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { MemberEntry } from "../../../src/protocol/families/presence.js";
import type { ChatMessage } from "../chats.js";
import { messageTextProblem } from "../compose.js";
import type { ViewProps } from "../dashboard.js";
import { messageOf, type PeerEntry } from "../mesh.js";
import { useWhenOnline } from "../online.js";
import { useValue } from "../store.js";

const STATE_LABEL: Record<string, string> = {
  sending: "sending…",
  waiting: "not sent yet",
  queued: "queued",
  held: "held",
  delivered: "delivered",
  expired: "expired",
  failed: "not sent",
};

interface Conversation {
  peer: string;
  name: string;
  online: boolean;
}

export function MessagesView({ mesh, go, arg }: ViewProps) {
  const messages = useValue(mesh.chats.messages);
  const unread = useValue(mesh.chats.unread);
  const peers = useValue(mesh.peers);
  const [members, setMembers] = useState<MemberEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const self = mesh.membership.pubkey;

  useWhenOnline(mesh, () => {
    mesh.client.listMembers().then(
      (list) => {
        setMembers(list);
        setError(null);
      },
      (err: unknown) => setError(messageOf(err)),
    );
  }, [peers.length]);

  const online = new Set(peers.map((p) => p.memberPubkey));
  const conversations = new Map<string, Conversation>();
  for (const m of members) {
    if (m.pubkey !== self)
      conversations.set(m.pubkey, { peer: m.pubkey, name: m.displayName, online: online.has(m.pubkey) });
  }
  for (const m of messages) {
    if (!conversations.has(m.peer))
      conversations.set(m.peer, { peer: m.peer, name: m.peerName, online: online.has(m.peer) });
  }
  const selected =
    arg !== null ? (conversations.get(arg) ?? { peer: arg, name: arg.slice(0, 12), online: false }) : null;

  useEffect(() => {
    if (selected !== null) mesh.chats.markRead(selected.peer);
  }, [selected?.peer, messages.length]);

  return (
    <section class="split">
      <ul id="conversations" class="list">
        {[...conversations.values()].map((c) => (
          <li key={c.peer} class={`conversation${c.peer === selected?.peer ? " current" : ""}`}>
            <a
              href={`/?view=messages&with=${encodeURIComponent(c.peer)}`}
              onClick={(e) => {
                e.preventDefault();
                go("messages", c.peer);
              }}
            >
              <span class={c.online ? "dot online" : "dot"} aria-label={c.online ? "online" : "offline"} />
              <span class="conversation-name">{c.name}</span>
              {unread.has(c.peer) && <span class="badge">new</span>}
            </a>
          </li>
        ))}
      </ul>
      <div class="conversation-pane">
        {error !== null && <p class="error">{error}</p>}
        {selected === null ? (
          <p>Choose someone to talk to.</p>
        ) : (
          <Conversation
            key={selected.peer}
            conversation={selected}
            messages={messages.filter((m) => m.peer === selected.peer)}
            peers={peers}
            onSend={(text, to) => mesh.sendDirect(selected.peer, selected.name, text, to)}
            onRetry={(id) => void mesh.retry(id)}
          />
        )}
      </div>
    </section>
  );
}

/**
 * The session of `member` that wrote last in the conversation, while it is online: where a reply goes.
 * The sender key of a push is only a hint on a member connection (protocol.md §2.6), so it counts only
 * when the broker lists it as a session of that same member.
 */
function replySession(member: string, messages: ChatMessage[], peers: PeerEntry[]): PeerEntry | undefined {
  const last = [...messages].reverse().find((m) => !m.mine);
  if (last?.fromSession === undefined) return undefined;
  return peers.find((p) => p.pubkey === last.fromSession && p.memberPubkey === member);
}

function Conversation(props: {
  conversation: Conversation;
  messages: ChatMessage[];
  peers: PeerEntry[];
  onSend: (text: string, to: string) => Promise<void>;
  onRetry: (id: string) => void;
}) {
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);
  const canReply = !/^[*@]/.test(props.conversation.peer);
  const session = replySession(props.conversation.peer, props.messages, props.peers);
  useEffect(() => end.current?.scrollIntoView({ block: "end" }), [props.messages.length]);

  const submit = (event: Event): void => {
    event.preventDefault();
    const wrong = messageTextProblem(text);
    setProblem(wrong);
    if (wrong !== null) return;
    setText("");
    void props.onSend(text.trim(), session?.pubkey ?? props.conversation.peer);
  };

  return (
    <>
      <h2 class="conversation-title">{props.conversation.name}</h2>
      <ol id="chat" class="chat">
        {props.messages.map((m) => (
          <li key={m.id} class={`chat-message ${m.mine ? "mine" : "theirs"}`}>
            {!m.mine && m.fromName !== undefined && m.fromName !== props.conversation.name && (
              <span class="chat-from">{m.fromName}</span>
            )}
            <span class="chat-text">{m.text}</span>
            <span class="chat-meta">
              {m.reminder ? "reminder · " : ""}
              {new Date(m.at).toLocaleTimeString()}
              {m.mine && m.state !== undefined && (
                <span class={`chat-state state-${m.state}`}>
                  {" · "}
                  {STATE_LABEL[m.state] ?? m.state}
                </span>
              )}
            </span>
            {m.mine && (m.state === "waiting" || m.state === "failed") && (
              <span class="chat-problem" role="status">
                {m.state === "waiting"
                  ? `${m.error ?? "not connected to the broker"} — it goes again when the page reconnects, or on Retry`
                  : m.error}
                {m.state === "waiting" && (
                  <button class="chat-retry" type="button" onClick={() => props.onRetry(m.id)}>
                    Retry
                  </button>
                )}
              </span>
            )}
          </li>
        ))}
      </ol>
      <div ref={end} />
      {canReply && (
        <>
          <form class="compose" onSubmit={submit}>
            <textarea
              id="compose-text"
              rows={2}
              placeholder={`Message ${session?.displayName ?? props.conversation.name}`}
              value={text}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && !e.shiftKey) submit(e);
              }}
            />
            <button id="compose-send" type="submit">
              Send
            </button>
          </form>
          {session !== undefined && (
            <p id="compose-to" class="muted">
              Goes to {session.displayName}, the session of {props.conversation.name} that wrote last.
            </p>
          )}
          {problem !== null && (
            <p id="compose-error" class="error" role="alert">
              {problem}
            </p>
          )}
        </>
      )}
    </>
  );
}
