/**
 * Direct conversations, end to end encrypted in this browser: the members of the mesh on the left (with
 * unread marks), the conversation on the right with what became of each message sent (queued, held,
 * delivered, expired — §4.11). Broadcasts and group messages this member received are conversations too.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { MemberEntry } from "../../../src/protocol/families/presence.js";
import type { ChatMessage } from "../chats.js";
import type { ViewProps } from "../dashboard.js";
import { messageOf } from "../mesh.js";
import { useValue } from "../store.js";

const STATE_LABEL: Record<string, string> = {
  sending: "sending…",
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

  useEffect(() => {
    mesh.client.listMembers().then(setMembers, (err: unknown) => setError(messageOf(err)));
  }, [mesh, peers.length]);

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
            onSend={(text) => mesh.sendDirect(selected.peer, selected.name, text)}
          />
        )}
      </div>
    </section>
  );
}

function Conversation(props: {
  conversation: Conversation;
  messages: ChatMessage[];
  onSend: (text: string) => Promise<void>;
}) {
  const [text, setText] = useState("");
  const end = useRef<HTMLDivElement>(null);
  const canReply = !/^[*@]/.test(props.conversation.peer);
  useEffect(() => end.current?.scrollIntoView({ block: "end" }), [props.messages.length]);

  const submit = (event: Event): void => {
    event.preventDefault();
    const body = text.trim();
    if (body === "") return;
    setText("");
    void props.onSend(body);
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
                <span class={`chat-state state-${m.state}`} title={m.error ?? ""}>
                  {" · "}
                  {STATE_LABEL[m.state] ?? m.state}
                </span>
              )}
            </span>
          </li>
        ))}
      </ol>
      <div ref={end} />
      {canReply && (
        <form class="compose" onSubmit={submit}>
          <textarea
            id="compose-text"
            rows={2}
            maxLength={32_000}
            placeholder={`Message ${props.conversation.name}`}
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
      )}
    </>
  );
}
