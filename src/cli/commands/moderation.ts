/**
 * Roster and moderation: `members`, `kick`, `ban`, `unban` (owner/admin only: the broker enforces it, the
 * CLI checks first for a clear error). Through the daemon's member connection, or `--no-daemon`.
 */
import type { MeshConfig } from "../../local/config.js";
import type { MemberView } from "../../local/daemon-api.js";
import { defineVerb, type Context } from "../command.js";
import { CliError, ExitCode } from "../errors.js";
import { currentMesh, daemon, shortKey } from "../services.js";
import { meshParam } from "./talk.js";

const members = defineVerb({
  path: ["members"],
  section: "Meshes and membership",
  summary: "The mesh roster: every member, online or not, with roles",
  mesh: true,
  coldPath: true,
  examples: ["claudemesh members", "claudemesh members --json"],
  async handler(ctx) {
    let list: MemberView[];
    if (ctx.noDaemon) {
      const mesh = currentMesh(ctx);
      const { withBroker } = await import("../cold-path.js");
      const wire = await withBroker(mesh, (client) => client.listMembers());
      list = wire.map((m) => ({
        mesh: mesh.slug,
        member_id: m.memberId,
        pubkey: m.pubkey,
        display_name: m.displayName,
        role: m.role,
        online: m.online,
        joined_at: m.joinedAt,
      }));
    } else {
      list = (await (await daemon(ctx)).members({ mesh: meshParam(ctx) })).members;
    }
    ctx.out.result({ members: list }, () => {
      const c = ctx.out.c;
      ctx.out.table(
        [
          { header: "NAME" },
          { header: "ROLE" },
          { header: "ONLINE" },
          { header: "KEY" },
          { header: "JOINED" },
        ],
        list.map((m) => [
          m.display_name,
          m.role,
          m.online ? c.green("online") : c.dim("offline"),
          shortKey(m.pubkey),
          m.joined_at.slice(0, 10),
        ]),
        "no members",
      );
    });
  },
});

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

const PEER_ARG = [{ name: "peer", description: "display name, member key or key prefix" }] as const;

const kick = defineVerb({
  path: ["kick"],
  section: "Meshes and membership",
  summary: "Close a peer's session connections (it may reconnect); owner/admin only",
  description: "A member's daemon connection is never kicked; use ban to remove a member.",
  args: PEER_ARG,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh kick bob"],
  async handler(ctx) {
    const mesh = currentMesh(ctx);
    requireModerator(mesh, "kick");
    const target = peerArg(ctx);
    const { withBroker } = await import("../cold-path.js");
    const ack = ctx.noDaemon
      ? await withBroker(mesh, (client) => client.kick({ target }))
      : await (await daemon(ctx)).kick({ target, mesh: mesh.mesh_id });
    const skipped = ack.skipped_control_plane ?? [];
    ctx.out.result({ kicked: ack.kicked, affected: ack.affected, skipped_control_plane: skipped }, () => {
      ctx.out.line(
        ack.kicked.length > 0 ? `kicked: ${ack.kicked.join(", ")}` : "no session connection matched",
      );
      if (skipped.length > 0)
        ctx.out.line(ctx.out.c.dim(`not kicked (daemon connections; use ban): ${skipped.join(", ")}`));
    });
    return ack.kicked.length > 0 || skipped.length > 0 ? ExitCode.ok : ExitCode.usage;
  },
});

const ban = defineVerb({
  path: ["ban"],
  section: "Meshes and membership",
  summary: "Revoke a member and close all its connections; owner/admin only",
  args: PEER_ARG,
  flags: { reason: { type: "string", valueName: "text", description: "recorded with the ban" } },
  mesh: true,
  coldPath: true,
  examples: ['claudemesh ban bob --reason "left the team"'],
  async handler(ctx) {
    const mesh = currentMesh(ctx);
    requireModerator(mesh, "ban");
    const target = peerArg(ctx);
    const { withBroker } = await import("../cold-path.js");
    const ack = ctx.noDaemon
      ? await withBroker(mesh, (client) => client.ban(target, ctx.flags.reason))
      : await (await daemon(ctx)).ban({ target, reason: ctx.flags.reason, mesh: mesh.mesh_id });
    ctx.out.result({ banned: ack.banned }, () => ctx.out.line(`banned ${ack.banned}`));
  },
});

const unban = defineVerb({
  path: ["unban"],
  section: "Meshes and membership",
  summary: "Lift a ban (the member can then be invited again); owner/admin only",
  args: PEER_ARG,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh unban bob"],
  async handler(ctx) {
    const mesh = currentMesh(ctx);
    requireModerator(mesh, "unban");
    const target = peerArg(ctx);
    const { withBroker } = await import("../cold-path.js");
    const ack = ctx.noDaemon
      ? await withBroker(mesh, (client) => client.unban(target))
      : await (await daemon(ctx)).unban({ target, mesh: mesh.mesh_id });
    ctx.out.result({ unbanned: ack.unbanned }, () => ctx.out.line(`unbanned ${ack.unbanned}`));
  },
});

export const MODERATION_VERBS = [members, kick, ban, unban];
