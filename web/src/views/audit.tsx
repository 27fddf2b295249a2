/**
 * The audit log (owners and admins, §6.9b): who did what to whom, newest first, a page at a time, and a
 * check of the broker's hash chain over every entry (`audit_verify`). Entries are shown as text.
 */
import { useEffect, useState } from "preact/hooks";
import type { AuditEntry, AuditVerifyResult } from "../../../src/protocol/families/audit.js";
import type { ViewProps } from "../dashboard.js";
import { messageOf } from "../mesh.js";
import { useValue } from "../store.js";

const PAGE = 50;
const PUBKEY = /^[0-9a-f]{64}$/;

/** A target as people read it: a member key becomes its name (the key in the tooltip). */
function targetText(target: string, names: Map<string, string>): string {
  if (!PUBKEY.test(target)) return target;
  const name = names.get(target);
  return name === undefined ? `${target.slice(0, 12)}…` : `${name} (${target.slice(0, 8)}…)`;
}

export default function AuditView({ mesh }: ViewProps) {
  const online = useValue(mesh.connection).kind === "online";
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [more, setMore] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [verified, setVerified] = useState<AuditVerifyResult | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [names, setNames] = useState<Map<string, string>>(new Map());

  const load = async (beforeSeq?: number): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const page = await mesh.client.queryAudit({
        limit: PAGE,
        ...(beforeSeq === undefined ? {} : { beforeSeq }),
      });
      setEntries((old) => (beforeSeq === undefined ? page.entries : [...(old ?? []), ...page.entries]));
      setMore(page.entries.length === PAGE);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (!online) return;
    void load();
    // Names for the member keys entries are about: members, and banned members (no longer listed).
    Promise.all([mesh.client.listMembers(), mesh.client.listBans()]).then(
      ([members, bans]) =>
        setNames(
          new Map([
            ...bans.map((b): [string, string] => [b.pubkey, b.name]),
            ...members.map((m): [string, string] => [m.pubkey, m.displayName]),
          ]),
        ),
      () => undefined,
    );
  }, [mesh, online]);

  const verify = async (): Promise<void> => {
    setVerifying(true);
    setError(null);
    try {
      setVerified(await mesh.client.verifyAudit());
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setVerifying(false);
    }
  };

  return (
    <section>
      <h2>Audit log</h2>
      <div class="audit-tools">
        <button id="audit-refresh" type="button" disabled={busy || !online} onClick={() => void load()}>
          Refresh
        </button>
        <button id="audit-verify" type="button" disabled={verifying || !online} onClick={() => void verify()}>
          {verifying ? "Verifying…" : "Verify"}
        </button>
      </div>
      {verified !== null && (
        <p id="audit-verified" class={verified.ok ? "verified" : "error"}>
          {verified.ok
            ? `The chain is intact: ${verified.entries} entr${verified.entries === 1 ? "y" : "ies"} checked.`
            : `The chain is broken at entry ${verified.brokenAt ?? "?"} (${verified.entries} checked).`}{" "}
          <span class="mono muted" title={verified.head}>
            head {verified.head.slice(0, 16)}…
          </span>
        </p>
      )}
      {error !== null && <p class="error">{error}</p>}
      {entries === null ? (
        error === null && <p class="muted">Loading…</p>
      ) : entries.length === 0 ? (
        <p class="muted">Nothing recorded yet.</p>
      ) : (
        <div class="scroll">
          <table id="audit">
            <thead>
              <tr>
                <th>#</th>
                <th>Time</th>
                <th>Actor</th>
                <th>Event</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.seq} class="audit-entry">
                  <td class="muted">{e.seq}</td>
                  <td class="audit-time">
                    {new Date(e.at).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" })}
                  </td>
                  <td class="audit-actor" title={e.actorPubkey}>
                    {e.actorName}
                  </td>
                  <td class="audit-action mono">{e.action}</td>
                  <td class="audit-target" title={e.target}>
                    {targetText(e.target, names)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more && (
        <button id="audit-more" type="button" disabled={busy} onClick={() => void load(entries?.at(-1)?.seq)}>
          Older entries
        </button>
      )}
    </section>
  );
}
