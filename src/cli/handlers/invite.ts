/** Invites: `invite` (owner/admin) and `join <link>`. */
import type { Context } from "../command.js";
import type { INVITE_FLAGS, JOIN_FLAGS } from "../flags/invite.js";
import type { CreatedInvite } from "../mesh-setup.js";
import type { Output } from "../output.js";
import { reloadDaemon, shortKey } from "../services.js";
import { currentMesh } from "../mesh-config.js";
import { countOf } from "../../claude-code/peer-text.js";

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
      `role ${invite.role}, ${countOf(invite.max_uses, "use")}, expires ${invite.expires_at}` +
        " — the part after # is the secret: share the link privately",
    ),
  );
  out.line(c.dim("they join with: claudemesh join '<link>' --name <their name>"));
  if (qr) out.line(await renderQr(invite.web_link ?? invite.link));
}

export async function invite(ctx: Context<typeof INVITE_FLAGS>): Promise<void> {
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
}

export async function join(ctx: Context<typeof JOIN_FLAGS>): Promise<void> {
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
      if (!notified) {
        ctx.out.line(
          ctx.out.c.dim("you go online when your daemon runs: the next command that needs it starts it"),
        );
      }
    },
  );
}
