/**
 * The dashboard: who you are and whether you are connected, a tab per view, the view. The peers and
 * messages views come with the page; every other view is fetched when first opened, so the first load
 * stays small. The open view is in the address (`?view=tasks`), so a reload keeps it.
 */
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Membership } from "./membership.js";
import type { Connection, WebMesh } from "./mesh.js";
import { useValue } from "./store.js";
import { MessagesView } from "./views/messages.js";
import { PeersView } from "./views/peers.js";

export interface ViewProps {
  mesh: WebMesh;
  /** Opens another view (a direct conversation with `peer`, for instance). */
  go: (view: string, arg?: string) => void;
  /** The view's argument from the address (`?view=messages&with=<pubkey>`). */
  arg: string | null;
}

export interface DashboardProps {
  mesh: WebMesh;
  memberships: Membership[];
  onSelect: (meshId: string) => void;
  onChanged: (selected?: string) => void;
}

type View = {
  id: string;
  label: string;
  /** Owners and admins only. */
  admin?: boolean;
  component: ComponentType<ViewProps>;
};

/** A view whose code is fetched the first time it is shown. */
function later(load: () => Promise<{ default: ComponentType<ViewProps> }>): ComponentType<ViewProps> {
  let loaded: ComponentType<ViewProps> | null = null;
  return function LaterView(props: ViewProps) {
    const [component, setComponent] = useState(() => loaded);
    const [error, setError] = useState<string | null>(null);
    useEffect(() => {
      if (component !== null) return;
      load().then(
        (module) => {
          loaded = module.default;
          setComponent(() => module.default);
        },
        (err: unknown) => setError(`this view could not be loaded: ${String(err)}`),
      );
    }, []);
    if (error !== null) return <p class="error">{error}</p>;
    if (component === null) return <p>Loading…</p>;
    const Loaded = component;
    return <Loaded {...props} />;
  };
}

const VIEWS: View[] = [
  { id: "peers", label: "Peers", component: PeersView },
  { id: "messages", label: "Messages", component: MessagesView },
  { id: "topics", label: "Topics", component: later(() => import("./views/topics.js")) },
  { id: "tasks", label: "Tasks", component: later(() => import("./views/tasks.js")) },
  { id: "state", label: "State", component: later(() => import("./views/state.js")) },
  { id: "memory", label: "Memory", component: later(() => import("./views/memory.js")) },
  { id: "files", label: "Files", component: later(() => import("./views/files.js")) },
  { id: "leases", label: "Leases", component: later(() => import("./views/leases.js")) },
  { id: "schedules", label: "Scheduled", component: later(() => import("./views/schedules.js")) },
  { id: "members", label: "Members", admin: true, component: later(() => import("./views/members.js")) },
  { id: "invites", label: "Invites", admin: true, component: later(() => import("./views/invites.js")) },
  { id: "audit", label: "Audit", admin: true, component: later(() => import("./views/audit.js")) },
  { id: "account", label: "Keys", component: later(() => import("./views/account-view.js")) },
];

function fromAddress(): { view: string; arg: string | null } {
  const params = new URLSearchParams(location.search);
  return { view: params.get("view") ?? "peers", arg: params.get("with") };
}

export function Dashboard(props: DashboardProps) {
  const { mesh } = props;
  const connection = useValue(mesh.connection);
  const unread = useValue(mesh.chats.unread);
  const [{ view, arg }, setPlace] = useState(fromAddress);
  const isAdmin = mesh.membership.role === "owner" || mesh.membership.role === "admin";
  const views = VIEWS.filter((v) => isAdmin || v.admin !== true);
  const current = views.find((v) => v.id === view) ?? (views[0] as View);

  const go = (next: string, nextArg?: string): void => {
    const params = new URLSearchParams({ view: next, ...(nextArg ? { with: nextArg } : {}) });
    history.pushState(null, "", `/?${params.toString()}`);
    setPlace({ view: next, arg: nextArg ?? null });
  };
  useEffect(() => {
    const onPop = (): void => setPlace(fromAddress());
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);

  const Current = current.component;
  return (
    <div class="dashboard">
      <header>
        <h1>
          <span class="mesh-name">{mesh.membership.meshName}</span>
        </h1>
        {props.memberships.length > 1 && (
          <select
            aria-label="Mesh"
            value={mesh.membership.meshId}
            onChange={(e) => props.onSelect((e.target as HTMLSelectElement).value)}
          >
            {props.memberships.map((m) => (
              <option key={m.meshId} value={m.meshId}>
                {m.meshName}
              </option>
            ))}
          </select>
        )}
        <p
          id="connection"
          class={connection.kind}
          title={connection.kind === "closed" ? connection.reason : ""}
        >
          You are <strong>{mesh.membership.displayName}</strong> ({mesh.membership.role}) ·{" "}
          {describe(connection)}
        </p>
      </header>
      <nav>
        {views.map((v) => (
          <a
            key={v.id}
            href={`/?view=${v.id}`}
            id={`nav-${v.id}`}
            class={v.id === current.id ? "current" : ""}
            onClick={(e) => {
              e.preventDefault();
              go(v.id);
            }}
          >
            {v.label}
            {v.id === "messages" && unread.size > 0 && <span class="badge">{unread.size}</span>}
          </a>
        ))}
      </nav>
      <main>
        <Current key={current.id} mesh={mesh} go={go} arg={arg} />
      </main>
    </div>
  );
}

/** The connection in words; while it comes back, the technical reason is in the tooltip only. */
function describe(state: Connection): string {
  if (state.kind === "connecting") return "connecting…";
  if (state.kind === "online") return "online";
  return state.retrying ? "reconnecting to the broker…" : state.reason;
}
