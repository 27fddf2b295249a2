/** Invites: `invite`, `invite list|revoke` (owner/admin, straight to the broker) and `join <link>`. */
import type { Context } from "../command.js";
import { CliError, ExitCode, usageError } from "../errors.js";
import type { INVITE_FLAGS, INVITE_LIST_FLAGS, JOIN_FLAGS } from "../flags/invite.js";
import type { CreatedInvite } from "../mesh-setup.js";
import type { Output } from "../output.js";
import { reloadDaemon, shortKey } from "../services.js";
import { currentMesh } from "../mesh-config.js";
import { countOf } from "../../claude-code/peer-text.js";
import {
  BrokerHttpError,
  listInvites,
  revokeInvite,
  type InviteSummary,
  type SigningMember,
} from "../../client/broker-http.js";
import { meshBrokerUrls, type MeshConfig } from "../../host/config.js";
import { InviteLinkError, inviteCodeOf } from "../../protocol/invite-link.js";

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
  const { mesh, givenSlug } = await ctx.out.waitFor("joining", () =>
    joinWithLink(ctx.args.link ?? "", ctx.flags.name),
  );
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
      if (givenSlug !== null) {
        ctx.out.line(
          `you already had a mesh "${givenSlug}", so this one is "${mesh.slug}" here: use --mesh ${mesh.slug}`,
        );
      }
      if (!notified) {
        ctx.out.line(
          ctx.out.c.dim("you go online when your daemon runs: the next command that needs it starts it"),
        );
      }
    },
  );
}

function signer(mesh: MeshConfig): SigningMember {
  return { meshId: mesh.mesh_id, pubkey: mesh.pubkey, secretKey: mesh.secret_key };
}

/** The broker's refusal of a plain member, said for this mesh and this user. */
function refusedUnlessManager(mesh: MeshConfig, doing: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof BrokerHttpError && err.code === "forbidden") {
      throw new CliError(
        "forbidden",
        `only the owner or an admin of "${mesh.slug}" can ${doing} (you are a ${mesh.role})`,
        "ask the mesh owner or an admin to do it",
        ExitCode.auth,
      );
    }
    throw err;
  };
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** An invite as `invite list --json` and `invite revoke --json` show it (times ISO 8601). */
function inviteView(i: InviteSummary) {
  return {
    code: i.code,
    state: i.state,
    role: i.role,
    uses: i.uses,
    max_uses: i.max_uses,
    expires_at: new Date(i.expires_at).toISOString(),
    created_at: new Date(i.created_at).toISOString(),
    revoked_at: isoOrNull(i.revoked_at),
    inviter_name: i.inviter_name,
    inviter_pubkey: i.inviter_pubkey,
  };
}

/** `2030-01-31 09:00` (UTC) for tables. */
function shortTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

export async function inviteList(ctx: Context<typeof INVITE_LIST_FLAGS>): Promise<void> {
  const mesh = currentMesh(ctx);
  const { invites } = await ctx.out
    .waitFor("listing invites", () => listInvites(meshBrokerUrls(mesh), signer(mesh)))
    .catch(refusedUnlessManager(mesh, "list its invites"));
  const shown = ctx.flags.active ? invites.filter((i) => i.state === "active") : invites;
  ctx.out.result({ invites: shown.map(inviteView) }, () =>
    ctx.out.table(
      [
        { header: "CODE" },
        { header: "STATE" },
        { header: "ROLE" },
        { header: "USES", align: "right" },
        { header: "EXPIRES (UTC)" },
        { header: "CREATED (UTC)" },
        { header: "INVITER" },
      ],
      shown.map((i) => [
        i.code,
        i.state,
        i.role,
        `${i.uses}/${i.max_uses}`,
        shortTime(i.expires_at),
        shortTime(i.created_at),
        i.inviter_name || shortKey(i.inviter_pubkey),
      ]),
      ctx.flags.active ? "no active invites" : "no invites",
    ),
  );
}

/** The code of the `code` argument: a bare code or a whole link (its secret is not needed). */
function codeArg(text: string): string {
  if (text.trim() === "") {
    throw usageError(
      "no invite code given",
      "pass the code `claudemesh invite list` shows, or the whole link",
    );
  }
  try {
    return inviteCodeOf(text);
  } catch (err) {
    if (!(err instanceof InviteLinkError)) throw err;
    throw usageError(err.message, "pass the code `claudemesh invite list` shows, or the whole link");
  }
}

export async function inviteRevoke(ctx: Context): Promise<void> {
  const code = codeArg(ctx.args.code ?? "");
  const mesh = currentMesh(ctx);
  const result = await ctx.out
    .waitFor("revoking the invite", () => revokeInvite(meshBrokerUrls(mesh), { ...signer(mesh), code }))
    .catch((err: unknown) => {
      if (err instanceof BrokerHttpError && err.code === "not_found") {
        throw usageError(
          `"${mesh.slug}" has no invite ${code}`,
          "see its invites with `claudemesh invite list`, or name another mesh with --mesh",
          "not_found",
        );
      }
      return refusedUnlessManager(mesh, "revoke its invites")(err);
    });
  const invite = result.invite;
  ctx.out.result({ ...inviteView(invite), already_revoked: result.already_revoked }, () =>
    ctx.out.line(
      result.already_revoked
        ? `invite ${invite.code} was already revoked (at ${isoOrNull(invite.revoked_at) ?? "?"})`
        : `revoked invite ${invite.code} (${invite.role}, used ${invite.uses} of ${invite.max_uses}): ` +
            "its link no longer lets anyone join",
    ),
  );
}
