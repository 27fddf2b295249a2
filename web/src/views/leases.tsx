/**
 * Leases (protocol.md §6.9a): the mesh's live leases (resource, holder, why, until when), live through
 * `lease_change`; acquire one, and renew or release your own.
 */
import { useEffect, useState } from "preact/hooks";
import type { LeaseEntry } from "../../../src/protocol/families/leases.js";
import { useAction } from "../action.js";
import type { ViewProps } from "../dashboard.js";
import { messageOf } from "../mesh.js";
import { useEvent, useValue } from "../store.js";

const MINUTE = 60_000;

export default function LeasesView({ mesh }: ViewProps) {
  const connection = useValue(mesh.connection);
  const [leases, setLeases] = useState<LeaseEntry[]>([]);
  const [resource, setResource] = useState("");
  const [reason, setReason] = useState("");
  const [minutes, setMinutes] = useState("30");
  const self = mesh.membership.pubkey;

  const { busy, error, setError, run: act } = useAction(() => reload());
  const reload = (): void => {
    mesh.client.listLeases().then(
      (list) => setLeases(list.leases),
      (err: unknown) => setError(messageOf(err)),
    );
  };
  useEffect(() => {
    if (connection.kind === "online") reload();
  }, [mesh, connection.kind]);
  useEvent(mesh.systemEvents, (event) => {
    if (event.event === "lease_change") reload();
  });

  const ttl = (): number => Math.max(1, Number(minutes) || 30) * MINUTE;

  return (
    <section id="leases-view">
      <h2>Leases</h2>
      <form
        id="lease-acquire"
        onSubmit={(e) => {
          e.preventDefault();
          const r = resource.trim();
          if (r === "") return;
          void act(async () => {
            await mesh.client.acquireLease(r, ttl(), reason.trim() || undefined);
            setResource("");
            setReason("");
          });
        }}
      >
        <input
          id="lease-resource"
          class="grow mono"
          required
          placeholder="resource (e.g. repo:src/broker/)"
          value={resource}
          onInput={(e) => setResource((e.target as HTMLInputElement).value)}
        />
        <input
          id="lease-reason"
          placeholder="why (optional)"
          value={reason}
          onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        />
        <label>
          for{" "}
          <input
            id="lease-minutes"
            class="narrow"
            type="number"
            min="1"
            value={minutes}
            onInput={(e) => setMinutes((e.target as HTMLInputElement).value)}
          />{" "}
          min
        </label>
        <button id="lease-take" type="submit" disabled={busy}>
          Acquire
        </button>
      </form>
      {error !== null && <p class="error">{error}</p>}
      <div class="scroll">
        <table id="leases">
          <thead>
            <tr>
              <th>Resource</th>
              <th>Holder</th>
              <th>Why</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {leases.map((lease) => (
              <tr key={lease.leaseId} class="lease" data-resource={lease.resource}>
                <td class="lease-resource mono">{lease.resource}</td>
                <td class="lease-holder">{lease.holderName}</td>
                <td class="lease-reason">{lease.reason}</td>
                <td class="lease-expires">{new Date(lease.expiresAt).toLocaleString()}</td>
                <td class="actions">
                  {lease.holderPubkey === self && (
                    <>
                      <button
                        class="lease-renew"
                        type="button"
                        disabled={busy}
                        onClick={() => void act(() => mesh.client.renewLease(lease.resource, ttl()))}
                      >
                        Renew
                      </button>{" "}
                      <button
                        class="danger lease-release"
                        type="button"
                        disabled={busy}
                        onClick={() => void act(() => mesh.client.releaseLease(lease.resource))}
                      >
                        Release
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {leases.length === 0 && connection.kind === "online" && <p class="muted">No one holds a lease.</p>}
    </section>
  );
}
