/**
 * Members (owners and admins): everyone who holds a key to this mesh, whether they are online, and the
 * moderation of §2.9 — kick (their connections are closed now and do not come back by themselves) and ban
 * (the member is revoked, every connection closed, rejoining needs a new invite), with the ban list and
 * unban. Every action asks for a confirmation first. The list follows presence changes live.
 */
import { useEffect, useState } from "preact/hooks";
import type { MemberEntry } from "../../../src/protocol/families/presence.js";
import type { BanEntry } from "../../../src/protocol/families/moderation.js";
import type { ViewProps } from "../dashboard.js";
import { messageOf } from "../mesh.js";
import { useValue } from "../store.js";
import { Confirm } from "./confirm.js";

type Action =
  { kind: "kick" | "ban"; pubkey: string; name: string } | { kind: "unban"; pubkey: string; name: string };

const VERB: Record<Action["kind"], string> = { kick: "Kick", ban: "Ban", unban: "Unban" };

export default function MembersView({ mesh }: ViewProps) {
  const peers = useValue(mesh.peers);
  const online = useValue(mesh.connection).kind === "online";
  const [members, setMembers] = useState<MemberEntry[] | null>(null);
  const [bans, setBans] = useState<BanEntry[]>([]);
  /** What went wrong with a kick, ban or unban; the reload after it never clears it. */
  const [error, setError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const self = mesh.membership.pubkey;

  useEffect(() => {
    if (!online) return;
    let live = true;
    Promise.all([mesh.client.listMembers(), mesh.client.listBans()]).then(
      ([m, b]) => {
        if (!live) return;
        setMembers(m);
        setBans(b);
        setLoadError(null);
      },
      (err: unknown) => live && setLoadError(messageOf(err)),
    );
    return () => {
      live = false;
    };
  }, [mesh, peers, tick, online]);

  const present = new Set(peers.map((p) => p.memberPubkey));

  const act = async (action: Action): Promise<void> => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      if (action.kind === "kick") {
        const ack = await mesh.client.kick({ target: action.pubkey });
        const skipped = ack.skipped_control_plane ?? [];
        setNotice(
          `${action.name}: ${ack.kicked.length} connection${ack.kicked.length === 1 ? "" : "s"} closed` +
            (skipped.length > 0
              ? `; ${skipped.length} connection${skipped.length === 1 ? "" : "s"} of their daemon or browser left open (ban to remove those)`
              : ""),
        );
      } else if (action.kind === "ban") {
        const ack = await mesh.client.ban(action.pubkey);
        setNotice(`${ack.banned} is banned: every connection closed, rejoining needs a new invite`);
      } else {
        const ack = await mesh.client.unban(action.pubkey);
        setNotice(`${ack.unbanned} is no longer banned (they rejoin with a new invite)`);
      }
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
      setPending(null);
      setTick((t) => t + 1);
      mesh.refreshPeers();
    }
  };

  return (
    <section>
      <h2>Members</h2>
      {error !== null && (
        <p id="members-error" class="error" role="alert">
          {error}
        </p>
      )}
      {loadError !== null && <p class="error">{loadError}</p>}
      {notice !== null && (
        <p id="members-notice" class="notice">
          {notice}
        </p>
      )}
      {pending !== null && (
        <Confirm
          id="members"
          action={`${VERB[pending.kind]} ${pending.name}`}
          danger={pending.kind !== "unban"}
          busy={busy}
          onYes={() => void act(pending)}
          onNo={() => setPending(null)}
        >
          {pending.kind === "kick" &&
            `Kick ${pending.name}? Their connections close now and do not come back by themselves.`}
          {pending.kind === "ban" &&
            `Ban ${pending.name}? Their key is revoked and every connection closed; rejoining needs a new invite.`}
          {pending.kind === "unban" && `Unban ${pending.name}? They can then rejoin with a new invite.`}
        </Confirm>
      )}
      {members === null ? (
        loadError === null && <p class="muted">Loading…</p>
      ) : (
        <div class="scroll">
          <table id="members">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Online</th>
                <th class="member-joined">Joined</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {members.map((m) => {
                const isOnline = m.pubkey === self || present.has(m.pubkey) || m.online;
                return (
                  <tr key={m.pubkey} class="member" data-pubkey={m.pubkey}>
                    <td class="member-name" title={m.pubkey}>
                      {m.displayName}
                      {m.pubkey === self && <span class="muted"> (you)</span>}
                    </td>
                    <td class="member-role">{m.role}</td>
                    <td class="member-online">
                      <span class={isOnline ? "dot online" : "dot"} title={isOnline ? "online" : "offline"} />{" "}
                      <span class="member-online-text">{isOnline ? "online" : "offline"}</span>
                    </td>
                    <td class="member-joined" title={new Date(m.joinedAt).toLocaleString()}>
                      {new Date(m.joinedAt).toLocaleDateString()}
                    </td>
                    <td class="member-actions">
                      {m.pubkey !== self && m.role !== "owner" && (
                        <>
                          <button
                            type="button"
                            class="member-kick"
                            disabled={busy}
                            onClick={() =>
                              setPending({ kind: "kick", pubkey: m.pubkey, name: m.displayName })
                            }
                          >
                            Kick
                          </button>{" "}
                          <button
                            type="button"
                            class="member-ban danger"
                            disabled={busy}
                            onClick={() => setPending({ kind: "ban", pubkey: m.pubkey, name: m.displayName })}
                          >
                            Ban
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <h3>Banned</h3>
      {bans.length === 0 ? (
        <p id="bans-empty" class="muted">
          No one is banned.
        </p>
      ) : (
        <div class="scroll">
          <table id="bans">
            <thead>
              <tr>
                <th>Name</th>
                <th>Key</th>
                <th>Banned</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {bans.map((b) => (
                <tr key={b.pubkey} class="ban" data-pubkey={b.pubkey}>
                  <td class="ban-name">{b.name}</td>
                  <td class="mono">{b.pubkey.slice(0, 16)}…</td>
                  <td>{new Date(b.revokedAt).toLocaleString()}</td>
                  <td>
                    <button
                      type="button"
                      class="ban-unban"
                      disabled={busy}
                      onClick={() => setPending({ kind: "unban", pubkey: b.pubkey, name: b.name })}
                    >
                      Unban
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
