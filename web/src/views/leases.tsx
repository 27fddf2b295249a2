/**
 * Leases (protocol.md §6.9a): the mesh's live leases (resource, holder, why, until when), live through
 * `lease_change`; acquire one for a number of minutes, renew or release your own. Renew adds the minutes
 * of the form to what the lease has left (up to the protocol's 24 h), so it never shortens a lease.
 */
import { useState } from "preact/hooks";
import type { LeaseEntry } from "../../../src/protocol/families/leases.js";
import { useAction } from "../action.js";
import type { ViewProps } from "../dashboard.js";
import { messageOf } from "../mesh.js";
import { useWhenOnline } from "../online.js";
import { useEvent, useValue } from "../store.js";

const MINUTE = 60_000;
/** The longest lease the broker grants (`ttlMs` 60,000–86,400,000). */
const MAX_MINUTES = 24 * 60;

/** The minutes typed, as a whole number in the range a lease takes, or why it is not one. */
function leaseMinutes(text: string): number | string {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 1 || n > MAX_MINUTES)
    return `give a whole number of minutes from 1 to ${MAX_MINUTES} (24 hours)`;
  return n;
}

/** What a renewal asks for: the time `lease` has left plus `minutes`, at most 24 h. */
function renewalTtl(lease: Pick<LeaseEntry, "expiresAt">, minutes: number, now = Date.now()): number {
  const left = Math.max(0, Date.parse(lease.expiresAt) - now);
  return Math.min(MAX_MINUTES * MINUTE, left + minutes * MINUTE);
}

export default function LeasesView({ mesh }: ViewProps) {
  const connection = useValue(mesh.connection);
  const [leases, setLeases] = useState<LeaseEntry[]>([]);
  const [resource, setResource] = useState("");
  const [reason, setReason] = useState("");
  const [minutes, setMinutes] = useState("30");
  const [loadError, setLoadError] = useState<string | null>(null);
  const self = mesh.membership.pubkey;

  const { busy, error, setError, run: act } = useAction(() => reload());
  const reload = (): void => {
    mesh.client.listLeases().then(
      (list) => {
        setLeases(list.leases);
        setLoadError(null);
      },
      (err: unknown) => setLoadError(messageOf(err)),
    );
  };
  useWhenOnline(mesh, reload);
  useEvent(mesh.systemEvents, (event) => {
    if (event.event === "lease_change") reload();
  });

  const duration = leaseMinutes(minutes);
  /** Runs `work` with the minutes of the form, or says what is wrong with them. */
  const withMinutes = (work: (n: number) => Promise<unknown>): void => {
    if (typeof duration === "string") {
      setError(duration);
      return;
    }
    void act(() => work(duration));
  };

  return (
    <section id="leases-view">
      <h2>Leases</h2>
      <form
        id="lease-acquire"
        // Checked here, with the reason shown next to the form (renew uses the same minutes).
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const r = resource.trim();
          if (r === "") {
            setError("name the resource to lease (e.g. repo:src/broker/)");
            return;
          }
          withMinutes(async (n) => {
            await mesh.client.acquireLease(r, n * MINUTE, reason.trim() || undefined);
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
            max={MAX_MINUTES}
            step="1"
            value={minutes}
            onInput={(e) => setMinutes((e.target as HTMLInputElement).value)}
          />{" "}
          min
        </label>
        <button id="lease-take" type="submit" disabled={busy}>
          Acquire
        </button>
      </form>
      {error !== null && (
        <p id="leases-error" class="error" role="alert">
          {error}
        </p>
      )}
      {loadError !== null && <p class="error">{loadError}</p>}
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
                        title="Adds these minutes to the time the lease has left (at most 24 hours in all)"
                        onClick={() =>
                          withMinutes((n) => mesh.client.renewLease(lease.resource, renewalTtl(lease, n)))
                        }
                      >
                        {typeof duration === "string" ? "Renew" : `Renew +${duration} min`}
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
