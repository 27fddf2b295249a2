/** Who is online: every presence of the mesh, live (presence events and a slow refresh). */
import type { ViewProps } from "../dashboard.js";
import type { PeerEntry } from "../mesh.js";
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
