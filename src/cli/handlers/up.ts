/**
 * `claudemesh up`: one command to a working local mesh — the embedded broker, a mesh named `local` when
 * the user has none, the daemon, an invite link, then a live view until Ctrl-C. Running it again reuses
 * everything that exists. It runs the broker of its own mesh only (see local-mesh.ts), never one for a
 * mesh the user joined.
 */
import { freeSlug, selectMesh } from "../../host/config.js";
import type { BrokerStatusEvent, MessageEvent, PeerEvent, PeerView } from "../../daemon-api/contract.js";
import type { DaemonClient } from "../../daemon-api/client.js";
import { followEvents } from "../../daemon-api/events.js";
import { roleLabel, shownByDefault } from "../../daemon-api/views.js";
import { defaultBrokerDataDir } from "../../host/paths.js";
import { DEFAULT_BROKER_PORT } from "../../protocol/constants.js";
import type { Context } from "../command.js";
import type { UP_FLAGS } from "../flags/up.js";
import { formatMessage, formatPeerEvent } from "../format.js";
import { LiveViewTracker, type PresenceChange } from "../live-view.js";
import type { LocalBroker } from "../local-broker.js";
import { LOCAL_MESH_NAME, ownLocalMesh, portOf } from "../local-mesh.js";
import type { CreatedInvite } from "../mesh-setup.js";
import type { Output } from "../output.js";
import { daemon, shortKey } from "../services.js";
import { userConfig } from "../mesh-config.js";
import { printInvite } from "./invite.js";
import { dashboardUrl } from "./open.js";

function isType<T>(data: unknown, key: string): data is T {
  return typeof data === "object" && data !== null && key in data;
}

function peersTable(out: Output, peers: readonly PeerView[]): void {
  out.table(
    [{ header: "NAME" }, { header: "ROLE" }, { header: "STATUS" }, { header: "KEY" }, { header: "MESH" }],
    peers.map((p) => [
      p.display_name + (p.self ? out.c.dim(" (you)") : ""),
      roleLabel(p),
      p.status,
      shortKey(p.session_pubkey ?? p.pubkey),
      p.mesh,
    ]),
    "nobody else is online yet",
  );
}

/** Prints presence and broker changes (each once, see {@link LiveViewTracker}) and messages until `signal` aborts. */
async function liveView(out: Output, client: DaemonClient, signal: AbortSignal): Promise<void> {
  const c = out.c;
  const tracker = new LiveViewTracker();
  const showPresence = (change: PresenceChange): void =>
    out.line(formatPeerEvent(change.kind, { ...change.peer }, c));
  /** Shows who came and went while the view could not follow; a broker that is down leaves it for later. */
  const resync = async (mesh?: string): Promise<void> => {
    try {
      const { peers } = await client.call("peers", { all: true });
      for (const change of tracker.resync(peers, mesh)) showPresence(change);
    } catch {
      // The broker or daemon is unreachable: its reconnect event resyncs again.
    }
  };
  const stream = followEvents(client, {
    signal,
    onOpen: async (resumed) => {
      if (resumed) {
        out.line(c.dim("daemon reconnected"));
        await resync();
        return;
      }
      const [listed, health] = await Promise.all([
        client.call("peers", { all: true }).then(
          ({ peers }) => ({ peers }),
          (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
        ),
        client.call("health", {}),
      ]);
      out.line("");
      out.line(c.bold("peers online:"));
      if ("peers" in listed) {
        tracker.reset(listed.peers, health.meshes);
        // The view follows other members' daemons too (their joins and leaves are shown), so they are listed.
        peersTable(
          out,
          listed.peers.filter((p) => shownByDefault(p) || !p.self),
        );
      } else {
        // Typically a broker `up` just started again while the daemon waits out its reconnect backoff:
        // every mesh counts as disconnected, so its return is shown and lists who is online then.
        tracker.reset(
          [],
          health.meshes.map((m) => ({ ...m, state: m.state === "disabled" ? m.state : "disconnected" })),
        );
        out.line(c.yellow(listed.error));
        out.line(c.dim("who is online shows here once the daemon reaches the broker"));
      }
      out.line("");
      out.line(c.dim("watching for activity; Ctrl-C stops watching (the broker and daemon keep running)"));
    },
    onLost: () => out.line(c.yellow("lost the daemon; retrying…")),
  });
  for await (const { event, data } of stream) {
    if ((event === "peer_join" || event === "peer_leave") && isType<PeerEvent>(data, "display_name")) {
      const change = tracker.peerEvent(event, data);
      if (change) showPresence(change);
    } else if (event === "system" && isType<{ mesh: string; event: string }>(data, "event")) {
      // Too many peers came and went at once for the events to list them: compare with the list now.
      if (data.event === "peers_changed") await resync(data.mesh);
    } else if (event === "message" && isType<MessageEvent>(data, "message")) {
      out.line(formatMessage(data.message, c));
    } else if (event === "broker_status" && isType<BrokerStatusEvent>(data, "state")) {
      const change = tracker.brokerStatus(data);
      if (change?.kind === "disconnected") {
        out.line(
          c.yellow(
            `broker disconnected (${change.mesh})${change.reason ? `: ${change.reason}` : ""}; the daemon keeps retrying`,
          ),
        );
      } else if (change?.kind === "disabled") {
        out.line(c.red(`mesh ${change.mesh} disabled${change.reason ? `: ${change.reason}` : ""}`));
      } else if (change?.kind === "reconnected") {
        out.line(c.green(`broker reconnected (${change.mesh})`));
        await resync(change.mesh);
      }
    }
  }
}

export async function up(ctx: Context<typeof UP_FLAGS>): Promise<void> {
  const out = ctx.out;
  const c = out.c;
  const { createInvite, createMeshAsOwner, defaultDisplayName, localAdminToken, resolveAdminToken } =
    await import("../mesh-setup.js");
  const { ensureLocalBroker } = await import("../local-broker.js");
  let config = userConfig();
  const dataDir = defaultBrokerDataDir();
  const existing = await ownLocalMesh(config.meshes, { dataDir, port: ctx.flags.port });
  const port =
    ctx.flags.port ?? (existing ? (portOf(existing.broker_url) ?? DEFAULT_BROKER_PORT) : DEFAULT_BROKER_PORT);
  // A mesh called `local` that is not this one (joined, or on another broker) is not the one `up` runs:
  // `up` makes its own beside it, under a free name.
  const joinedLocal =
    existing === undefined
      ? config.meshes.find((m) => m.slug === LOCAL_MESH_NAME || m.name === LOCAL_MESH_NAME)
      : undefined;
  const createOwn = existing === undefined && (config.meshes.length === 0 || joinedLocal !== undefined);
  const wantBroker = createOwn || existing !== undefined || ctx.flags.port !== undefined;

  let broker: LocalBroker | null = null;
  if (wantBroker) {
    broker = await out.waitFor("starting the broker", () => ensureLocalBroker({ port, dataDir }));
  }
  let mesh = ctx.mesh ? undefined : existing;
  let meshCreated = false;
  if (createOwn && broker) {
    const brokerUrl = broker.url;
    const name = freeSlug(config.meshes, LOCAL_MESH_NAME);
    mesh = await out.waitFor(`creating mesh ${name}`, () =>
      createMeshAsOwner({
        brokerUrls: [brokerUrl],
        adminToken: localAdminToken() ?? resolveAdminToken(brokerUrl, undefined, ctx.env),
        name,
        displayName: ctx.flags.name ?? defaultDisplayName(),
        localBroker: true,
      }),
    );
    meshCreated = true;
    config = userConfig();
  }
  if (ctx.mesh || mesh === undefined) mesh = selectMesh(config, ctx.mesh);

  const client = await daemon(ctx);
  await client.call("reloadMeshes", {});
  const version = await client.call("version", {});

  let invite: CreatedInvite | null = null;
  if (mesh.role === "owner" || mesh.role === "admin") {
    invite = await out.waitFor("making an invite", () =>
      createInvite(mesh, { role: "member", maxUses: 1, ttlMs: 7 * 86_400_000 }),
    );
  }

  if (ctx.json) {
    out.data({
      broker_url: broker?.url ?? mesh.broker_url,
      broker_started: broker?.started ?? false,
      broker_pid: broker?.pid ?? null,
      mesh: {
        mesh_id: mesh.mesh_id,
        slug: mesh.slug,
        name: mesh.name,
        role: mesh.role,
        display_name: mesh.display_name,
      },
      mesh_created: meshCreated,
      admin_token_file: broker?.adminTokenFile ?? null,
      daemon_pid: version.pid,
      dashboard_url: dashboardUrl(mesh.broker_url),
      invite: invite && {
        link: invite.link,
        web_link: invite.web_link,
        code: invite.code,
        role: invite.role,
        expires_at: invite.expires_at,
        max_uses: invite.max_uses,
      },
    });
    return;
  }
  out.line(`${c.green("claudemesh is up")}`);
  if (broker) {
    const how = broker.started ? "started" : "already running";
    out.line(`  broker  ${broker.url} ${c.dim(`(${how}${broker.pid ? `, pid ${broker.pid}` : ""})`)}`);
  } else {
    out.line(`  broker  ${mesh.broker_url}`);
  }
  if (broker?.adminTokenMade) {
    out.line(
      `  admin   token in ${broker.adminTokenFile} ${c.dim("(0600; `claudemesh mesh create` reads it)")}`,
    );
  }
  out.line(
    `  mesh    ${c.bold(mesh.slug)} ${c.dim(`(${meshCreated ? "created" : mesh.local_broker ? "yours" : "joined"})`)}, role ${mesh.role}`,
  );
  if (meshCreated && joinedLocal) {
    const what = joinedLocal.role === "owner" ? "a mesh on another broker" : "a mesh you joined";
    out.line(
      c.yellow(`  ${joinedLocal.slug} is ${what} (${joinedLocal.broker_url}), so yours is ${mesh.slug}`),
    );
  }
  out.line(`  daemon  pid ${version.pid}`);
  out.line(`  web     ${dashboardUrl(mesh.broker_url)} ${c.dim("(claudemesh open logs you in)")}`);
  out.line("");
  out.line(
    `you are ${c.bold(mesh.display_name)}: others send to you with \`claudemesh send ${mesh.display_name} "…"\``,
  );
  if (ctx.flags.name !== undefined && ctx.flags.name !== mesh.display_name) {
    out.line(
      c.yellow(
        `--name ${ctx.flags.name} was not used: you joined ${mesh.slug} as ${mesh.display_name} before, and that name stays`,
      ),
    );
  }
  if (invite) {
    out.line("");
    out.line(c.bold("invite a second user or machine (one use, 7 days):"));
    await printInvite(out, invite, false);
  }
  if (ctx.flags.detach) return;
  await liveView(out, client, ctx.signal);
}
