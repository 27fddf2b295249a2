/** Invites: `invite` (owner/admin) and `join <link>`. */
import { INVITE_DEFAULT_TTL_MS } from "../../protocol/constants.js";
import { defineVerb } from "../command.js";
import type { CreatedInvite } from "../mesh-setup.js";
import { currentMesh, reloadDaemon, shortKey } from "../services.js";
import type { Output } from "../output.js";

async function renderQr(text: string): Promise<string> {
  const { default: qrcode } = await import("qrcode-terminal");
  return new Promise((resolve) => qrcode.generate(text, { small: true }, resolve));
}

/** Prints an invite for a person (shared with `up`). */
export async function printInvite(out: Output, invite: CreatedInvite, qr: boolean): Promise<void> {
  const c = out.c;
  out.line(c.bold(invite.link));
  if (invite.web_link) out.line(c.bold(invite.web_link));
  out.line(
    c.dim(
      `role ${invite.role}, ${invite.max_uses} use${invite.max_uses === 1 ? "" : "s"}, expires ${invite.expires_at}` +
        " — the part after # is the secret: share the link privately",
    ),
  );
  out.line(c.dim("they join with: claudemesh join '<link>'"));
  if (qr) out.line(await renderQr(invite.web_link ?? invite.link));
}

const invite = defineVerb({
  path: ["invite"],
  section: "Meshes and membership",
  summary: "Make an invite link (signed by your owner/admin key) for someone to join",
  description:
    "Prints claudemesh://join/<host[:port]>/<code>[?tls=0]#<secret> (tls=0 for plain ws:// brokers), and\n" +
    "https://<public url>/join/<code>#<secret> when the broker has a public URL. The secret after # never\n" +
    "reaches the broker.",
  flags: {
    role: {
      type: "string",
      valueName: "member|admin",
      choices: ["member", "admin"],
      default: "member",
      description: "role the invitee gets",
    },
    uses: { type: "number", valueName: "n", default: 1, description: "how many people may use the link" },
    expires: {
      type: "duration",
      valueName: "duration",
      default: INVITE_DEFAULT_TTL_MS,
      description: "lifetime, e.g. 1h, 7d",
    },
    qr: { type: "boolean", description: "also print the link as a QR code" },
    publicUrl: {
      type: "string",
      valueName: "url",
      description:
        "also print the https://<url>/join/… form (default: the broker's public URL, if it has one)",
    },
  },
  mesh: true,
  examples: [
    "claudemesh invite",
    "claudemesh invite --role admin --uses 3 --expires 1d",
    "claudemesh invite --qr",
  ],
  async handler(ctx) {
    const mesh = currentMesh(ctx);
    const { createInvite } = await import("../mesh-setup.js");
    const created = await ctx.out.waitFor("registering the invite", () =>
      createInvite(mesh, {
        role: ctx.flags.role === "admin" ? "admin" : "member",
        maxUses: ctx.flags.uses,
        ttlMs: ctx.flags.expires,
        publicUrl: ctx.flags.publicUrl,
      }),
    );
    if (ctx.json) {
      ctx.out.data({
        link: created.link,
        web_link: created.web_link,
        code: created.code,
        role: created.role,
        expires_at: created.expires_at,
        max_uses: created.max_uses,
      });
      return;
    }
    await printInvite(ctx.out, created, ctx.flags.qr);
  },
});

const join = defineVerb({
  path: ["join"],
  section: "Meshes and membership",
  summary: "Join a mesh with an invite link",
  description:
    "Claims the invite, makes your member key pair, checks the inviter's signature, decrypts the mesh key\n" +
    "from the link's secret part and writes the config (0600). Quote the link: it contains # and ?.",
  args: [{ name: "link", description: "claudemesh://join/…#secret or https://<host>/join/<code>#secret" }],
  flags: {
    name: {
      type: "string",
      valueName: "display name",
      description: "how others see you (default: your login name)",
    },
  },
  examples: ["claudemesh join 'claudemesh://join/127.0.0.1:7900/ABCD2345?tls=0#…' --name alice"],
  async handler(ctx) {
    const { joinWithLink } = await import("../mesh-setup.js");
    const mesh = await ctx.out.waitFor("joining", () => joinWithLink(ctx.args.link ?? "", ctx.flags.name));
    const notified = await reloadDaemon();
    ctx.out.result(
      {
        mesh_id: mesh.mesh_id,
        slug: mesh.slug,
        member_id: mesh.member_id,
        pubkey: mesh.pubkey,
        display_name: mesh.display_name,
      },
      () => {
        ctx.out.line(
          `joined ${ctx.out.c.bold(mesh.slug)} (${mesh.name}) as ${mesh.display_name} (${shortKey(mesh.pubkey)}), role ${mesh.role}`,
        );
        if (!notified) ctx.out.line(ctx.out.c.dim("start the daemon to go online: claudemesh daemon up"));
      },
    );
  },
});

export const INVITE_VERBS = [invite, join];
