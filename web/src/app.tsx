/**
 * The views. Everything a peer sends (names, summaries) is rendered as text by Preact, never as HTML:
 * nothing here sets innerHTML.
 */
import { useEffect, useState } from "preact/hooks";
import type { InvitePreview } from "../../src/client/broker-http.js";
import type { InviteLink } from "../../src/protocol/invite-link.js";
import { joinMesh, linkFromLocation, previewInvite } from "./join.js";
import { loadMemberships, type Membership } from "./membership.js";
import { connectMesh, type PeerEntry, type SocketState } from "./mesh-socket.js";

export function App() {
  const [membership, setMembership] = useState<Membership | null>(() => loadMemberships().at(-1) ?? null);
  const onJoinPath = location.pathname.includes("/join/");
  if (onJoinPath && (membership === null || location.hash.length > 1)) {
    return (
      <JoinPage
        onJoined={(joined) => {
          // The secret stays out of the address bar and the history once it has been used.
          history.replaceState(null, "", "/");
          setMembership(joined);
        }}
      />
    );
  }
  if (membership === null) {
    return (
      <section>
        <h1>claudemesh</h1>
        <p>Open an invite link (http://…/join/…#…) to join a mesh from this browser.</p>
      </section>
    );
  }
  return <PeersPage membership={membership} />;
}

function JoinPage({ onJoined }: { onJoined: (membership: Membership) => void }) {
  const [link] = useState<InviteLink | string>(() => linkFromLocation(location.href));
  const [preview, setPreview] = useState<InvitePreview | null>(null);
  const [error, setError] = useState<string | null>(typeof link === "string" ? link : null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (typeof link === "string") return;
    previewInvite(link).then(setPreview, (err: unknown) => setError(messageOf(err)));
  }, [link]);

  const submit = (event: Event): void => {
    event.preventDefault();
    if (typeof link === "string" || name.trim() === "") return;
    setBusy(true);
    setError(null);
    joinMesh(link, name.trim()).then(onJoined, (err: unknown) => {
      setError(messageOf(err));
      setBusy(false);
    });
  };

  return (
    <section>
      <h1>Join a mesh</h1>
      {preview && (
        <p id="invite-preview">
          <span class="inviter">{preview.inviter_name}</span> invites you to{" "}
          <strong class="mesh-name">{preview.mesh_name}</strong> as {preview.role}.
        </p>
      )}
      {typeof link !== "string" && (
        <form onSubmit={submit}>
          <label>
            Your name{" "}
            <input
              id="display-name"
              name="displayName"
              autocomplete="nickname"
              maxLength={64}
              required
              value={name}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
          </label>{" "}
          <button id="join" type="submit" disabled={busy}>
            {busy ? "Joining…" : "Join"}
          </button>
        </form>
      )}
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="note">
        Your keys are made in this browser and kept in its storage; the part of the link after # never
        leaves it.
      </p>
    </section>
  );
}

/** What kind of participant a presence is. */
function kindOf(peer: PeerEntry): string {
  if (peer.peerType === "human") return "person";
  if (peer.peerRole === "control-plane") return "daemon";
  return "agent";
}

function PeersPage({ membership }: { membership: Membership }) {
  const [state, setState] = useState<SocketState>({ kind: "connecting" });
  const [peers, setPeers] = useState<PeerEntry[]>([]);
  useEffect(() => connectMesh(membership, { onState: setState, onPeers: setPeers }), [membership]);

  return (
    <section>
      <h1>
        <span class="mesh-name">{membership.meshName}</span>
      </h1>
      <p id="connection" class={state.kind}>
        You are <strong>{membership.displayName}</strong> · {describe(state)}
      </p>
      <table id="peers">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Status</th>
            <th>Summary</th>
          </tr>
        </thead>
        <tbody>
          {peers.map((peer) => (
            <tr key={`${peer.pubkey}|${peer.sessionId}`} class="peer">
              <td class="peer-name">{peer.displayName}</td>
              <td class="peer-kind">{kindOf(peer)}</td>
              <td class={`peer-status status-${peer.status}`}>{peer.status}</td>
              <td class="peer-summary">{peer.summary ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {peers.length === 0 && state.kind === "online" && <p>No one is online.</p>}
    </section>
  );
}

function describe(state: SocketState): string {
  if (state.kind === "connecting") return "connecting…";
  if (state.kind === "online") return "online";
  return state.retrying ? `${state.reason}; reconnecting…` : state.reason;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
