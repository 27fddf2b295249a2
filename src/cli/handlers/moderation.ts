/**
 * Roster and moderation: `members`, `kick`, `ban`, `unban` (owner/admin only: the broker enforces it, the
 * CLI checks first for a clear error). Through the daemon's member connection, or `--no-daemon`.
 */
import type { MeshConfig } from "../../host/config.js";
import type { MemberView } from "../../daemon-api/contract.js";
import type { Context } from "../command.js";
import type { BAN_FLAGS } from "../flags/moderation.js";
import { CliError, ExitCode } from "../errors.js";
import { daemon, meshParam, shortKey } from "../services.js";
import { currentMesh } from "../mesh-config.js";
import { meshColumn } from "../format.js";

export async function members(ctx: Context): Promise<void> {
  const list: MemberView[] = (await (await daemon(ctx)).call("members", { mesh: meshParam(ctx) })).members;
  ctx.out.result({ members: list }, () => {
    const c = ctx.out.c;
    const mesh = meshColumn(list);
    ctx.out.table(
      [
        ...mesh.columns,
        { header: "NAME" },
        { header: "ROLE" },
        { header: "ONLINE" },
        { header: "KEY" },
        { header: "JOINED" },
      ],
      list.map((m) => [
        ...mesh.cell(m),
        m.display_name,
        m.role,
        m.online ? c.green("online") : c.dim("offline"),
        shortKey(m.pubkey),
        m.joined_at.slice(0, 10),
      ]),
      "no members",
    );
  });
}

function requireModerator(mesh: MeshConfig, action: string): void {
  if (mesh.role !== "owner" && mesh.role !== "admin") {
    throw new CliError(
      "forbidden",
      `only the owner or an admin of "${mesh.slug}" can ${action} (you are a ${mesh.role})`,
      "ask the mesh owner",
      ExitCode.auth,
    );
  }
}

function peerArg(ctx: Context): string {
  return ctx.args.peer ?? "";
}

export async function kick(ctx: Context): Promise<number> {
  const mesh = currentMesh(ctx);
  requireModerator(mesh, "kick");
  const target = peerArg(ctx);
  const ack = await (await daemon(ctx)).call("kick", { target, mesh: mesh.mesh_id });
  const skipped = ack.skipped_control_plane ?? [];
  ctx.out.result({ kicked: ack.kicked, affected: ack.affected, skipped_control_plane: skipped }, () => {
    ctx.out.line(
      ack.kicked.length > 0 ? `kicked: ${ack.kicked.join(", ")}` : "no session connection matched",
    );
    if (skipped.length > 0)
      ctx.out.line(ctx.out.c.dim(`not kicked (daemon connections; use ban): ${skipped.join(", ")}`));
  });
  return ack.kicked.length > 0 || skipped.length > 0 ? ExitCode.ok : ExitCode.usage;
}

export async function ban(ctx: Context<typeof BAN_FLAGS>): Promise<void> {
  const mesh = currentMesh(ctx);
  requireModerator(mesh, "ban");
  const target = peerArg(ctx);
  const ack = await (await daemon(ctx)).call("ban", { target, reason: ctx.flags.reason, mesh: mesh.mesh_id });
  ctx.out.result({ banned: ack.banned }, () => ctx.out.line(`banned ${ack.banned}`));
}

export async function unban(ctx: Context): Promise<void> {
  const mesh = currentMesh(ctx);
  requireModerator(mesh, "unban");
  const target = peerArg(ctx);
  const ack = await (await daemon(ctx)).call("unban", { target, mesh: mesh.mesh_id });
  ctx.out.result({ unbanned: ack.unbanned }, () => ctx.out.line(`unbanned ${ack.unbanned}`));
}
