/**
 * The page: the join form on an invite link, the one-time login of `claudemesh open`, and otherwise the
 * dashboard of the mesh this browser is in. Everything a peer sends (names, summaries, messages) is
 * rendered as text by Preact, never as HTML: nothing here sets innerHTML.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { JoinPage } from "./join-page.js";
import { loginFromHash } from "./login.js";
import { loadMemberships, saveMembership, type Membership } from "./membership.js";
import { WebMesh } from "./mesh.js";
import { Dashboard } from "./dashboard.js";
import { Welcome } from "./views/account.js";

/** Takes a login link's membership out of the address bar (once), or says why it cannot be used. */
function takeLogin(): string | null {
  const login = loginFromHash(location.hash);
  if (login === null) return null;
  history.replaceState(null, "", location.pathname === "/" ? "/" : location.pathname);
  if (typeof login === "string") return login;
  saveMembership(login);
  return null;
}

export function App() {
  const [loginError] = useState(takeLogin);
  const [memberships, setMemberships] = useState<Membership[]>(loadMemberships);
  const [meshId, setMeshId] = useState<string | null>(() => memberships.at(-1)?.meshId ?? null);
  // An invite link, even one cut off before its `#<secret>` (the join page says what is missing).
  const [joining, setJoining] = useState(location.pathname.startsWith("/join/"));

  const reload = (selected?: string): void => {
    const all = loadMemberships();
    setMemberships(all);
    setMeshId(selected ?? all.at(-1)?.meshId ?? null);
  };

  if (joining) {
    return (
      <JoinPage
        onJoined={(joined) => {
          // The secret stays out of the address bar and the history once it has been used.
          history.replaceState(null, "", "/");
          setJoining(false);
          reload(joined.meshId);
        }}
      />
    );
  }
  const membership = memberships.find((m) => m.meshId === meshId) ?? null;
  if (membership === null) return <Welcome error={loginError} onImported={(m) => reload(m.meshId)} />;
  return (
    <>
      {loginError !== null && (
        <p id="login-error" class="error" role="alert">
          {loginError}
        </p>
      )}
      <MeshPage
        key={membership.meshId}
        membership={membership}
        memberships={memberships}
        onSelect={setMeshId}
        onChanged={reload}
      />
    </>
  );
}

function MeshPage(props: {
  membership: Membership;
  memberships: Membership[];
  onSelect: (meshId: string) => void;
  onChanged: (selected?: string) => void;
}) {
  const mesh = useMemo(() => new WebMesh(props.membership), [props.membership]);
  useEffect(() => {
    mesh.start();
    return () => void mesh.stop();
  }, [mesh]);
  return (
    <Dashboard
      mesh={mesh}
      memberships={props.memberships}
      onSelect={props.onSelect}
      onChanged={props.onChanged}
    />
  );
}
