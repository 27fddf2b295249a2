/** Meshes: `mesh create`, `list`, `leave`, `whoami`. */
import { createInterface } from "node:readline/promises";
import { brokerUrlFields, meshBrokerUrls, meshNotFound, updateConfig } from "../../host/config.js";
import { brokerUrlListProblem, splitBrokerUrls } from "../../protocol/broker-urls.js";
import { DaemonClient } from "../../daemon-api/client.js";
import { ensureDaemon } from "../../daemon-api/lifecycle.js";
import type { Context } from "../command.js";
import { DEFAULT_BROKER_URL, type LEAVE_FLAGS, type MESH_CREATE_FLAGS } from "../flags/mesh.js";
import { CliError, ExitCode, describeError, usageError } from "../errors.js";
import { daemonHealth, oneShotDaemon, reloadDaemon, requireYes, shortKey } from "../services.js";
import { currentMesh, userConfig } from "../mesh-config.js";

const BROKER_HINT =
  "use ws://host:port/ws or wss://host/ws; for several broker nodes, repeat --broker (or give a comma list)";

/** The mesh's broker URLs as given in `source`: valid, distinct, and one scheme (an invite link has one). */
function checkBrokerUrls(urls: string[], source: string): string[] {
  const problem = brokerUrlListProblem(urls);
  if (problem !== null) throw usageError(`${source} ${problem}`, BROKER_HINT);
  if (new Set(urls.map((url) => new URL(url).protocol)).size > 1) {
    throw usageError(`${source} mixes ws:// and wss:// URLs`, "give every broker node the same scheme");
  }
  return urls;
}

/** `--broker` (repeatable, comma lists), else `CLAUDEMESH_BROKER_URL` (a comma list), else the local default. */
function brokerUrlsFor(ctx: Context<typeof MESH_CREATE_FLAGS>): string[] {
  if (ctx.flags.broker !== undefined) return checkBrokerUrls(ctx.flags.broker, "--broker");
  const env = splitBrokerUrls(ctx.env.CLAUDEMESH_BROKER_URL ?? "");
  return env.length > 0 ? checkBrokerUrls(env, "CLAUDEMESH_BROKER_URL") : [DEFAULT_BROKER_URL];
}

export async function meshCreate(ctx: Context<typeof MESH_CREATE_FLAGS>): Promise<void> {
  const brokerUrls = brokerUrlsFor(ctx);
  const { createMeshAsOwner, defaultDisplayName, resolveAdminToken } = await import("../mesh-setup.js");
  const adminToken = resolveAdminToken(brokerUrls[0] ?? DEFAULT_BROKER_URL, ctx.flags.adminToken, ctx.env);
  const mesh = await ctx.out.waitFor("creating the mesh", () =>
    createMeshAsOwner({
      brokerUrls,
      adminToken,
      name: ctx.args.name ?? "",
      displayName: ctx.flags.name ?? defaultDisplayName(),
    }),
  );
  await reloadDaemon();
  ctx.out.result(
    {
      mesh_id: mesh.mesh_id,
      slug: mesh.slug,
      name: mesh.name,
      broker_url: mesh.broker_url,
      broker_urls: meshBrokerUrls(mesh),
      owner_pubkey: mesh.pubkey,
    },
    () => {
      ctx.out.line(
        `created mesh ${ctx.out.c.bold(mesh.slug)} (${mesh.mesh_id}) on ${meshBrokerUrls(mesh).join(", ")}`,
      );
      ctx.out.line(`you are its owner, as ${mesh.display_name} (${shortKey(mesh.pubkey)})`);
      ctx.out.line(
        `invite someone: claudemesh invite${userConfig().meshes.length > 1 ? ` --mesh ${mesh.slug}` : ""}`,
      );
    },
  );
}

/** `mesh brokers [urls…]`: the mesh's broker URLs, or replaces them in this machine's config. */
export async function meshBrokers(ctx: Context): Promise<void> {
  const mesh = currentMesh(ctx);
  const wanted = ctx.argv.flatMap(splitBrokerUrls);
  let urls = meshBrokerUrls(mesh);
  let notified = false;
  if (wanted.length > 0) {
    urls = checkBrokerUrls(wanted, "the broker list");
    updateConfig((config) => {
      config.meshes = config.meshes.map((m) =>
        m.mesh_id === mesh.mesh_id ? { ...m, broker_urls: undefined, ...brokerUrlFields(urls) } : m,
      );
    });
    notified = await reloadDaemon();
  }
  ctx.out.result(
    {
      mesh_id: mesh.mesh_id,
      slug: mesh.slug,
      broker_url: urls[0],
      broker_urls: urls,
      changed: wanted.length > 0,
    },
    () => {
      const saved = wanted.length === 0 ? "" : notified ? " (saved; the daemon reconnects)" : " (saved)";
      ctx.out.line(`broker URLs of ${ctx.out.c.bold(mesh.slug)}${saved}:`);
      urls.forEach((url, i) => ctx.out.line(`  ${url}${i === 0 ? ctx.out.c.dim(" (primary)") : ""}`));
    },
  );
}

/** The primary broker URL, and how many further nodes the mesh lists. */
function brokerCell(urls: readonly string[]): string {
  return urls.length > 1 ? `${urls[0] ?? ""} (+${urls.length - 1} more)` : (urls[0] ?? "");
}

export async function list(ctx: Context): Promise<void> {
  const config = userConfig();
  const health = await daemonHealth();
  const meshes = config.meshes.map((m) => {
    const state = health?.meshes.find((h) => h.mesh_id === m.mesh_id);
    return {
      mesh_id: m.mesh_id,
      slug: m.slug,
      name: m.name,
      broker_url: m.broker_url,
      broker_urls: meshBrokerUrls(m),
      role: m.role,
      display_name: m.display_name,
      connected: health === null ? null : (state?.connected ?? false),
      last_error: state?.last_error ?? null,
    };
  });
  ctx.out.result({ meshes, daemon_running: health !== null }, () => {
    const c = ctx.out.c;
    ctx.out.table(
      [
        { header: "SLUG" },
        { header: "NAME" },
        { header: "BROKER" },
        { header: "ROLE" },
        { header: "DAEMON" },
      ],
      meshes.map((m) => [
        m.slug,
        m.name,
        brokerCell(m.broker_urls),
        m.role,
        m.connected === null
          ? c.dim("not running")
          : m.connected
            ? c.green("connected")
            : c.yellow(m.last_error ?? "disconnected"),
      ]),
      "no meshes yet: run `claudemesh up` or `claudemesh join <link>`",
    );
  });
}

/** Asks on a terminal; null when there is none to ask (`--json`, piped stdin). */
async function confirm(ctx: Context, question: string): Promise<boolean | null> {
  const stdin = ctx.stdin as NodeJS.ReadStream;
  if (ctx.json || stdin.isTTY !== true) return null;
  const rl = createInterface({ input: stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export async function leave(ctx: Context<typeof LEAVE_FLAGS>): Promise<number | void> {
  const config = userConfig();
  const wanted = ctx.args.mesh ?? "";
  const found = config.meshes.filter((m) => m.slug === wanted || m.mesh_id === wanted);
  const mesh = found.length === 1 ? found[0] : undefined;
  if (mesh === undefined) throw meshNotFound(config.meshes, wanted);
  if (!ctx.flags.yes) {
    const answer = await confirm(ctx, `Leave "${mesh.slug}" and delete its keys on this machine?`);
    if (answer === null) requireYes(false, `leaving "${mesh.slug}"`);
    if (answer === false) {
      ctx.out.line("cancelled");
      return ExitCode.failure;
    }
  }
  let revoked = true;
  try {
    // Through the running daemon when it holds the mesh's connection, else on a one-shot connection.
    const running = await ensureDaemon({ spawn: false }).catch(() => null);
    const held = (await daemonHealth())?.meshes.some((m) => m.mesh_id === mesh.mesh_id && m.connected);
    const client =
      running !== null && held === true ? running : await oneShotDaemon({ out: ctx.out, mesh: mesh.mesh_id });
    await client.call("leaveMesh", { mesh: mesh.mesh_id });
  } catch (err) {
    if (!ctx.flags.force) throw unlessForced(err, mesh.slug);
    revoked = false;
    ctx.out.warn(`the broker was not told (${(err as Error).message}); removing the local keys anyway`);
  }
  updateConfig((c) => {
    c.meshes = c.meshes.filter((m) => m.mesh_id !== mesh.mesh_id);
    if (c.default_mesh === mesh.mesh_id) delete c.default_mesh;
  });
  await reloadDaemon();
  ctx.out.result({ ok: true, mesh_id: mesh.mesh_id, slug: mesh.slug, revoked }, () =>
    ctx.out.line(
      `left ${mesh.slug}${revoked ? "" : " (locally only)"}; its keys are deleted from this machine`,
    ),
  );
}

/** A broker that cannot be told: say that `--force` leaves anyway (for a broker gone for good). */
function unlessForced(err: unknown, slug: string): unknown {
  const failure = describeError(err);
  if (failure.exitCode !== ExitCode.unreachable) return err;
  return new CliError(
    failure.code,
    failure.message,
    `start the broker and retry; if it is gone for good, \`claudemesh leave ${slug} --force -y\` removes the local keys without telling it`,
    ExitCode.unreachable,
  );
}

export async function whoami(ctx: Context): Promise<void> {
  const meshes = userConfig().meshes.map((m) => ({
    mesh_id: m.mesh_id,
    slug: m.slug,
    name: m.name,
    broker_url: m.broker_url,
    broker_urls: meshBrokerUrls(m),
    member_id: m.member_id,
    pubkey: m.pubkey,
    display_name: m.display_name,
    role: m.role,
  }));
  let session: { session_pubkey: string; session_id: string; mesh: string } | undefined;
  const client = new DaemonClient({ timeoutMs: 2_000 });
  if (client.token) {
    const me = await client.call("sessionsMe", {}).catch(() => null);
    if (me) session = { session_pubkey: me.session_pubkey, session_id: me.session_id, mesh: me.slug };
  }
  ctx.out.result({ meshes, ...(session ? { session } : {}) }, () => {
    ctx.out.table(
      [
        { header: "MESH" },
        { header: "NAME" },
        { header: "ROLE" },
        { header: "MEMBER KEY" },
        { header: "BROKER" },
      ],
      meshes.map((m) => [m.slug, m.display_name, m.role, m.pubkey, brokerCell(m.broker_urls)]),
      "no meshes yet: run `claudemesh up` or `claudemesh join <link>`",
    );
    if (session)
      ctx.out.line(`\nthis session: ${session.session_id} in ${session.mesh}, key ${session.session_pubkey}`);
  });
}
