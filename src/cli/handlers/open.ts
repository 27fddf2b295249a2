/**
 * `claudemesh open`: the broker's web dashboard as this user. The one-time login link carries the
 * membership (keys included) after `#`, which browsers never send to a server; the page (web/src/login.ts)
 * refuses it after its expiry or a second time.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { MeshConfig } from "../../host/config.js";
import { brokerHttpBase } from "../../client/broker-http.js";
import type { Context } from "../command.js";
import type { OPEN_FLAGS } from "../flags/open.js";
import { currentMesh } from "../mesh-config.js";

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
  // The link is base64url and `#` only: nothing cmd would read as an operator.
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

export async function open(ctx: Context<typeof OPEN_FLAGS>): Promise<void> {
  const mesh = currentMesh(ctx);
  const url = loginLink(mesh);
  const opened = ctx.flags.print ? false : await openInBrowser(url);
  if (!ctx.flags.print && !opened) {
    ctx.out.warn("no browser could be opened: open this link yourself (it holds your keys: keep it private)");
  } else if (ctx.flags.print) {
    ctx.out.warn("this link holds your keys for 5 minutes: open it only in your own browser");
  }
  if (ctx.json) {
    ctx.out.data({ url, opened });
    return;
  }
  if (opened) {
    ctx.out.line(
      `opened the dashboard of ${ctx.out.c.bold(mesh.slug)} as ${mesh.display_name} in your browser`,
    );
    ctx.out.line(
      ctx.out.c.dim(`the link works once, for 5 minutes; the dashboard is ${dashboardUrl(mesh.broker_url)}`),
    );
    return;
  }
  ctx.out.line(url);
}
