/**
 * `claudemesh open`: the broker's web dashboard as this user. The one-time login link carries the
 * membership (keys included) after `#`, which browsers never send to a server; the page (web/src/login.ts)
 * refuses it after its expiry or a second time. The browser is handed the link through a one-time local
 * page (login-handoff.ts), never on a command line other users can read.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { MeshConfig } from "../../host/config.js";
import { brokerHttpBase } from "../../client/broker-http.js";
import type { Context } from "../command.js";
import type { OPEN_FLAGS } from "../flags/open.js";
import { currentMesh } from "../mesh-config.js";
import { msFromEnv } from "../../host/env.js";

/** How long a login link can be used. */
export const LOGIN_TTL_MS = 5 * 60_000;
export const LOGIN_KIND = "claudemesh-login";

/** `http(s)://host[:port]/` of the mesh's broker: the dashboard. */
export function dashboardUrl(brokerUrl: string): string {
  return `${brokerHttpBase(brokerUrl)}/`;
}

/** The one-time login link for `mesh`, valid until `now + LOGIN_TTL_MS`. */
export function loginLink(
  mesh: MeshConfig,
  now = Date.now(),
  nonce = randomBytes(16).toString("base64url"),
): string {
  const payload = {
    kind: LOGIN_KIND,
    exp: now + LOGIN_TTL_MS,
    nonce,
    membership: {
      meshId: mesh.mesh_id,
      meshName: mesh.name,
      slug: mesh.slug,
      memberId: mesh.member_id,
      role: mesh.role,
      displayName: mesh.display_name,
      pubkey: mesh.pubkey,
      secretKey: mesh.secret_key,
      rootKey: mesh.root_key,
      brokerUrl: mesh.broker_url,
      joinedAt: mesh.joined_at,
    },
  };
  return `${dashboardUrl(mesh.broker_url)}#login=${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
}

/** The platform's "open this URL" command. */
function opener(url: string): [string, string[]] {
  if (process.platform === "darwin") return ["open", [url]];
  // The page's address is base64url only: nothing cmd would read as an operator.
  if (process.platform === "win32") return ["cmd", ["/c", "start", "", url]];
  return ["xdg-open", [url]];
}

/** Starts the opener; false when it could not be started or failed at once. */
function openInBrowser(url: string): Promise<boolean> {
  const [command, args] = opener(url);
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(command, args, { stdio: "ignore", detached: true });
    } catch {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      child.unref();
      resolve(true);
    }, 1_500);
    child.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** How long `open` waits for the browser to come for the login page, unless told otherwise. */
const BROWSER_WAIT_MS = 60_000;

function browserWaitMs(env: NodeJS.ProcessEnv): number {
  const ms = msFromEnv(env, "CLAUDEMESH_OPEN_WAIT_MS");
  return ms !== undefined && ms > 0 ? ms : BROWSER_WAIT_MS;
}

export async function open(ctx: Context<typeof OPEN_FLAGS>): Promise<void> {
  const mesh = currentMesh(ctx);
  const url = loginLink(mesh);
  const dashboard = dashboardUrl(mesh.broker_url);
  if (ctx.flags.print) {
    ctx.out.warn("this link holds your keys for 5 minutes: open it only in your own browser");
    if (ctx.json) ctx.out.data({ url, opened: false });
    else ctx.out.line(url);
    return;
  }
  // The browser gets a one-time local page, never the link itself on a command line (login-handoff.ts).
  const { serveLoginOnce } = await import("../login-handoff.js");
  const waitMs = browserWaitMs(ctx.env);
  const handoff = await serveLoginOnce(url, waitMs);
  const opened =
    (await openInBrowser(handoff.url)) &&
    (await ctx.out.waitFor("waiting for your browser", () => handoff.taken));
  handoff.close();
  if (!opened) {
    ctx.out.warn(
      `no browser came for the login page within ${Math.round(waitMs / 1000)} s: open this link yourself (it holds your keys: keep it private)`,
    );
    if (ctx.json) ctx.out.data({ url, opened: false });
    else ctx.out.line(url);
    return;
  }
  if (ctx.json) {
    ctx.out.data({ url: dashboard, opened: true });
    return;
  }
  ctx.out.line(
    `opened the dashboard of ${ctx.out.c.bold(mesh.slug)} as ${mesh.display_name} in your browser`,
  );
  ctx.out.line(ctx.out.c.dim(`the login works once, for 5 minutes; the dashboard is ${dashboard}`));
}
