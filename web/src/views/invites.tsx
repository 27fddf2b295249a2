/**
 * Invites (owners and admins): a new invite made and signed in this browser (§7.3) — the secret, the
 * invite key and the sealed mesh key never leave the page; the broker gets the signed registration only —
 * shown as the web link of this dashboard's address, with a copy button and a QR code. The broker has no
 * way to list or revoke invites (§7.2), so the list is of the invites made on this page.
 */
import { useState } from "preact/hooks";
import { BrokerHttpError, registerInvite } from "../../../src/client/broker-http.js";
import { signInvite } from "../../../src/client/invites.js";
import { INVITE_DEFAULT_TTL_MS } from "../../../src/protocol/constants.js";
import { formatPublicInviteLink } from "../../../src/protocol/invite-link.js";
import type { ViewProps } from "../dashboard.js";
import { messageOf, type WebMesh } from "../mesh.js";
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
      await registerInvite(mesh.membership.brokerUrl, {
        meshId: mesh.membership.meshId,
        pubkey: mesh.membership.pubkey,
        secretKey: mesh.membership.secretKey,
        invite: invite.registration,
      });
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
  const [role, setRole] = useState<"member" | "admin">("member");
  const [uses, setUses] = useState("1");
  const [ttl, setTtl] = useState(String(INVITE_DEFAULT_TTL_MS));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [made, setMade] = useState<MadeInvite[]>([]);
  const [shown, setShown] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const maxUses = Number(uses);
    if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > 10_000) {
      setError("uses must be a whole number from 1 to 10000");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const invite = await makeInvite(mesh, { role, maxUses, ttlMs: Number(ttl) });
      setMade((all) => [invite, ...all]);
      setShown(invite.code);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
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
          {busy ? "Making…" : "Make invite"}
        </button>
      </form>
      {error !== null && <p class="error">{error}</p>}
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
      {made.length > 0 && (
        <>
          <h3>Made here</h3>
          <div class="scroll">
            <table id="invites">
              <thead>
                <tr>
                  <th>Code</th>
                  <th>Role</th>
                  <th>Uses</th>
                  <th>Expires</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {made.map((m) => (
                  <tr key={m.code} class="invite">
                    <td class="mono">{m.code}</td>
                    <td>{m.role}</td>
                    <td>{m.maxUses}</td>
                    <td>{new Date(m.expiresAt).toLocaleString()}</td>
                    <td>
                      <button type="button" class="invite-show" onClick={() => setShown(m.code)}>
                        Show
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <p class="muted">
        The broker keeps no list of invites to show or revoke here: an invite ends when it expires or its uses
        run out. Invites made here are listed until this page is closed.
      </p>
    </section>
  );
}
