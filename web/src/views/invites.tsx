/**
 * Invites (owners and admins): a new invite made and signed in this browser (§7.3) — the secret, the
 * invite key and the sealed mesh key never leave the page; the broker gets the signed registration only —
 * shown as the web link of this dashboard's address, with a copy button and a QR code. Below, every
 * invite of the mesh as the broker lists it (§7.2: its state and uses, never what opens it), each with a
 * revoke button; the link of an invite made on this page can be shown again until the page is closed.
 */
import { useEffect, useState } from "preact/hooks";
import {
  BrokerHttpError,
  listInvites,
  registerInvite,
  revokeInvite,
} from "../../../src/client/broker-http.js";
import { signInvite } from "../../../src/client/invites.js";
import { INVITE_DEFAULT_TTL_MS } from "../../../src/protocol/constants.js";
import { formatPublicInviteLink } from "../../../src/protocol/invite-link.js";
import type { InviteSummary } from "../../../src/protocol/invites.js";
import type { ViewProps } from "../dashboard.js";
import { messageOf, type WebMesh } from "../mesh.js";
import { useValue } from "../store.js";
import { Confirm } from "./confirm.js";
import { QrCode } from "./invites-qr.js";

const HOUR = 3_600_000;
const LIFETIMES: Array<[string, number]> = [
  ["1 hour", HOUR],
  ["1 day", 24 * HOUR],
  ["7 days", INVITE_DEFAULT_TTL_MS],
  ["30 days", 30 * 24 * HOUR],
];

interface MadeInvite {
  code: string;
  link: string;
  role: "member" | "admin";
  maxUses: number;
  expiresAt: number;
}

/** This member's key, which signs the invite requests. */
function signerOf(mesh: WebMesh): { meshId: string; pubkey: string; secretKey: string } {
  const { meshId, pubkey, secretKey } = mesh.membership;
  return { meshId, pubkey, secretKey };
}

/** Signs an invite with this member's key and registers it (a fresh code on the rare collision). */
async function makeInvite(
  mesh: WebMesh,
  f: { role: "member" | "admin"; maxUses: number; ttlMs: number },
): Promise<MadeInvite> {
  const expiresAt = Date.now() + f.ttlMs;
  for (let attempt = 0; ; attempt += 1) {
    const invite = signInvite({
      meshId: mesh.membership.meshId,
      rootKey: mesh.rootKey,
      inviterPubkey: mesh.membership.pubkey,
      inviterSecretKey: mesh.membership.secretKey,
      role: f.role,
      maxUses: f.maxUses,
      expiresAt,
    });
    try {
      await registerInvite(mesh.membership.brokerUrl, { ...signerOf(mesh), invite: invite.registration });
    } catch (err) {
      if (err instanceof BrokerHttpError && err.status === 409 && attempt < 3) continue;
      throw err;
    }
    return {
      code: invite.code,
      link: formatPublicInviteLink({ publicUrl: location.origin, code: invite.code, secret: invite.secret }),
      role: f.role,
      maxUses: f.maxUses,
      expiresAt,
    };
  }
}

export default function InvitesView({ mesh }: ViewProps) {
  const online = useValue(mesh.connection).kind === "online";
  const [role, setRole] = useState<"member" | "admin">("member");
  const [uses, setUses] = useState("1");
  const [ttl, setTtl] = useState(String(INVITE_DEFAULT_TTL_MS));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  /** Invites made on this page, newest first: only these have a link to show (the secret stays here). */
  const [made, setMade] = useState<MadeInvite[]>([]);
  const [shown, setShown] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [invites, setInvites] = useState<InviteSummary[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pending, setPending] = useState<InviteSummary | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    listInvites(mesh.membership.brokerUrl, signerOf(mesh)).then(
      ({ invites: all }) => {
        if (!live) return;
        setInvites(all);
        setLoadError(null);
      },
      (err: unknown) => live && setLoadError(messageOf(err)),
    );
    return () => {
      live = false;
    };
  }, [mesh, tick, online]);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const maxUses = Number(uses);
    if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > 10_000) {
      setError("uses must be a whole number from 1 to 10000");
      return;
    }
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const invite = await makeInvite(mesh, { role, maxUses, ttlMs: Number(ttl) });
      setMade((all) => [invite, ...all]);
      setShown(invite.code);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
      setTick((t) => t + 1);
    }
  };

  const revoke = async (invite: InviteSummary): Promise<void> => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const result = await revokeInvite(mesh.membership.brokerUrl, { ...signerOf(mesh), code: invite.code });
      setNotice(
        result.already_revoked
          ? `invite ${invite.code} was already revoked`
          : `invite ${invite.code} is revoked: its link no longer lets anyone join`,
      );
      if (shown === invite.code) setShown(null);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
      setPending(null);
      setTick((t) => t + 1);
    }
  };

  const copy = async (invite: MadeInvite): Promise<void> => {
    try {
      await navigator.clipboard.writeText(invite.link);
      setCopied(invite.code);
    } catch {
      setError("the browser did not allow copying: select the link and copy it");
    }
  };

  const current = made.find((m) => m.code === shown) ?? null;
  const madeHere = new Set(made.map((m) => m.code));
  return (
    <section>
      <h2>Invites</h2>
      <form id="invite-form" class="invite-form" onSubmit={(e) => void submit(e)}>
        <label>
          Role{" "}
          <select
            id="invite-role"
            value={role}
            onChange={(e) => setRole((e.target as HTMLSelectElement).value === "admin" ? "admin" : "member")}
          >
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <label>
          Uses{" "}
          <input
            id="invite-uses"
            type="number"
            min={1}
            max={10_000}
            value={uses}
            onInput={(e) => setUses((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Expires in{" "}
          <select
            id="invite-expires"
            value={ttl}
            onChange={(e) => setTtl((e.target as HTMLSelectElement).value)}
          >
            {LIFETIMES.map(([label, ms]) => (
              <option key={ms} value={String(ms)}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button id="invite-create" type="submit" disabled={busy}>
          {busy ? "Working…" : "Make invite"}
        </button>
      </form>
      {error !== null && (
        <p id="invites-error" class="error" role="alert">
          {error}
        </p>
      )}
      {notice !== null && (
        <p id="invites-notice" class="notice">
          {notice}
        </p>
      )}
      {current !== null && (
        <div id="invite-current" class="invite-current">
          <div class="invite-text">
            <p>
              Share this link privately: the part after # is the secret that lets someone join ({current.role}
              , {current.maxUses} use{current.maxUses === 1 ? "" : "s"}, until{" "}
              {new Date(current.expiresAt).toLocaleString()}). They open it in a browser, or run{" "}
              <code>claudemesh join '&lt;link&gt;'</code>.
            </p>
            <p id="invite-link" class="mono invite-link">
              {current.link}
            </p>
            <button id="invite-copy" type="button" onClick={() => void copy(current)}>
              {copied === current.code ? "Copied" : "Copy link"}
            </button>
          </div>
          <QrCode id="invite-qr" text={current.link} label={`QR code of the invite ${current.code}`} />
        </div>
      )}
      {pending !== null && (
        <Confirm
          id="invites"
          action={`Revoke ${pending.code}`}
          danger
          busy={busy}
          onYes={() => void revoke(pending)}
          onNo={() => setPending(null)}
        >
          Revoke invite {pending.code}? Its link stops working now ({pending.uses} of {pending.max_uses} use
          {pending.max_uses === 1 ? "" : "s"} taken); members who joined with it stay.
        </Confirm>
      )}
      <h3>
        All invites{" "}
        <button id="invites-refresh" type="button" onClick={() => setTick((t) => t + 1)}>
          Refresh
        </button>
      </h3>
      {loadError !== null && <p class="error">{loadError}</p>}
      {invites === null ? (
        loadError === null && <p class="muted">Loading…</p>
      ) : invites.length === 0 ? (
        <p id="invites-empty" class="muted">
          No invites yet.
        </p>
      ) : (
        <div class="scroll">
          <table id="invites">
            <thead>
              <tr>
                <th>Code</th>
                <th>State</th>
                <th>Role</th>
                <th>Uses</th>
                <th>Expires</th>
                <th class="invite-inviter">Made by</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {invites.map((i) => (
                <tr key={i.code} class="invite" data-code={i.code}>
                  <td class="mono">{i.code}</td>
                  <td class="invite-state">{i.state}</td>
                  <td>{i.role}</td>
                  <td>
                    {i.uses}/{i.max_uses}
                  </td>
                  <td>{new Date(i.expires_at).toLocaleString()}</td>
                  <td class="invite-inviter" title={i.inviter_pubkey}>
                    {i.inviter_name || `${i.inviter_pubkey.slice(0, 8)}…`}
                  </td>
                  <td class="invite-actions">
                    {madeHere.has(i.code) && i.state === "active" && (
                      <>
                        <button type="button" class="invite-show" onClick={() => setShown(i.code)}>
                          Show
                        </button>{" "}
                      </>
                    )}
                    {i.state === "active" && (
                      <button
                        type="button"
                        class="invite-revoke danger"
                        disabled={busy}
                        onClick={() => setPending(i)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted">
        An invite's link holds its secret, which only this page ever saw: links of invites made elsewhere, or
        before this page was opened, cannot be shown again.
      </p>
    </section>
  );
}
