/**
 * The Keys view: export this browser's identity to a file (for a second device), import one, or forget
 * this mesh in this browser (the membership, its conversations and everything else kept for it). The file
 * holds the member's secret key and the mesh key: it is the identity.
 */
import { useState } from "preact/hooks";
import type { ViewProps } from "../dashboard.js";
import { exportText, forgetMembership } from "../membership.js";
import { ImportForm } from "./account.js";

export default function AccountView({ mesh }: ViewProps) {
  const m = mesh.membership;
  const [forgotten, setForgotten] = useState(false);
  const download = (): void => {
    const blob = new Blob([exportText(m)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `claudemesh-${m.slug}-${m.displayName}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };
  return (
    <section>
      <h2>Keys</h2>
      <dl class="facts">
        <dt>Mesh</dt>
        <dd>{m.meshName}</dd>
        <dt>You</dt>
        <dd>
          {m.displayName} ({m.role})
        </dd>
        <dt>Member key</dt>
        <dd class="mono">{m.pubkey}</dd>
        <dt>Broker</dt>
        <dd class="mono">{m.brokerUrl}</dd>
      </dl>
      <p>
        Your keys live in this browser only. Export them to use this membership on another device; keep the
        file private — whoever has it is you in this mesh.
      </p>
      <button id="export-keys" type="button" onClick={download}>
        Export identity file
      </button>
      <ImportForm onImported={() => location.assign("/")} />
      <p>
        <button
          id="forget-mesh"
          type="button"
          class="danger"
          disabled={forgotten}
          onClick={() => {
            if (
              !confirm(
                `Forget ${m.meshName} in this browser? Its keys and conversations are deleted here; without an export file you will need a new invite.`,
              )
            )
              return;
            setForgotten(true);
            // Disconnected first, so nothing arriving meanwhile is written back after the data is gone.
            void mesh.stop().finally(() => {
              forgetMembership(m.meshId);
              location.assign("/");
            });
          }}
        >
          Forget this mesh here
        </button>
      </p>
    </section>
  );
}
