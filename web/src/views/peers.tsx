/**
 * Who is online: every presence of the mesh, live (presence events and a slow refresh), and the person's
 * own status and summary, which the others see the same way.
 */
import { useState } from "preact/hooks";
import { SUMMARY_MAX_CHARS } from "../../../src/protocol/constants.js";
import type { PresenceStatus } from "../../../src/protocol/fields.js";
import type { ViewProps } from "../dashboard.js";
import { tooLong } from "../limits.js";
import { messageOf, type PeerEntry, type WebMesh } from "../mesh.js";
import { useValue } from "../store.js";

/** What kind of participant a presence is. */
export function kindOf(peer: Pick<PeerEntry, "peerType" | "peerRole">): string {
  if (peer.peerType === "human") return "person";
  if (peer.peerRole === "control-plane") return "daemon";
  return "agent";
}

export function PeersView({ mesh, go }: ViewProps) {
  const peers = useValue(mesh.peers);
  const connection = useValue(mesh.connection);
  const self = mesh.membership.pubkey;
  return (
    <section>
      <h2>Peers</h2>
      <OwnPresence mesh={mesh} />
      <div class="scroll">
        <table id="peers" class="stack">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Status</th>
              <th>Summary</th>
              <th>Groups</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {peers.map((peer) => (
              <tr key={`${peer.pubkey}|${peer.sessionId}`} class="peer">
                <td class="peer-name" data-label="Name" title={peer.cwd || peer.hostname || ""}>
                  {peer.displayName}
                </td>
                <td class="peer-kind" data-label="Kind">
                  {kindOf(peer)}
                </td>
                <td class={`peer-status status-${peer.status}`} data-label="Status">
                  {peer.status}
                </td>
                <td class="peer-summary" data-label="Summary">
                  {peer.summary ?? ""}
                </td>
                <td class="peer-groups" data-label="Groups">
                  {peer.groups.map((g) => `@${g.name}${g.role ? `:${g.role}` : ""}`).join(" ")}
                </td>
                <td>
                  {peer.memberPubkey !== self && (
                    <button
                      class="message-peer"
                      type="button"
                      onClick={() => go("messages", peer.memberPubkey)}
                    >
                      Message
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {peers.length === 0 && connection.kind === "online" && <p>No one else is online.</p>}
    </section>
  );
}

function OwnPresence({ mesh }: { mesh: WebMesh }) {
  const peers = useValue(mesh.peers);
  const mine = peers.find((p) => p.sessionId === mesh.sessionId);
  const [summary, setSummary] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const apply = (change: Promise<void>): void => {
    setError(null);
    change.then(
      () => mesh.refreshPeers(),
      (err: unknown) => setError(messageOf(err)),
    );
  };
  return (
    <form
      id="own-presence"
      onSubmit={(e) => {
        e.preventDefault();
        if (summary === null) return;
        const long = tooLong("the summary", summary.trim(), SUMMARY_MAX_CHARS);
        if (long !== null) setError(long);
        else apply(mesh.client.setSummary(summary.trim()));
      }}
    >
      <label>
        Your status{" "}
        <select
          id="own-status"
          value={mine?.status ?? "idle"}
          onChange={(e) =>
            apply(mesh.client.setStatus((e.target as HTMLSelectElement).value as PresenceStatus, "manual"))
          }
        >
          <option value="idle">idle</option>
          <option value="working">working</option>
          <option value="dnd">do not disturb</option>
        </select>
      </label>
      <input
        id="own-summary"
        aria-label="What you are working on"
        placeholder="What you are working on"
        value={summary ?? mine?.summary ?? ""}
        onInput={(e) => setSummary((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Set</button>
      {error !== null && <span class="error">{error}</span>}
    </form>
  );
}
