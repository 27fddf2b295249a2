/** Presence: `status`, `summary`, `group join|leave|list`. */
import { groupNameProblem } from "../../protocol/targets.js";
import type { Context } from "../command.js";
import type { GROUP_JOIN_FLAGS } from "../flags/presence.js";
import { usageError } from "../errors.js";
import { currentMesh, daemon, meshParam } from "../services.js";

const STATUSES = ["idle", "working", "dnd"] as const;
type Status = (typeof STATUSES)[number];

function isStatus(s: string | undefined): s is Status {
  return STATUSES.some((status) => status === s);
}

function checkGroup(name: string): string {
  const bare = name.startsWith("@") ? name.slice(1) : name;
  const problem = groupNameProblem(bare);
  if (problem !== null)
    throw usageError(`group name "${name}" ${problem}`, "group names look like team or a/b/c");
  return bare;
}

const COLD_NOTE = "without the daemon this applies only to the one-shot connection this command made";

export async function status(ctx: Context): Promise<void> {
  const value = ctx.args.status;
  if (!isStatus(value)) {
    throw usageError(`"${value ?? ""}" is not a status`, "use one of: idle, working, dnd");
  }
  if (ctx.noDaemon) {
    const { withBroker } = await import("../cold-path.js");
    await withBroker(currentMesh(ctx), (client) => client.setStatus(value, "manual"));
    if (!ctx.json) ctx.out.note(ctx.out.c.dim(COLD_NOTE));
  } else {
    await (await daemon(ctx)).call("setStatus", { status: value, source: "manual", mesh: meshParam(ctx) });
  }
  ctx.out.result({ ok: true, status: value }, () => ctx.out.line(`status: ${value}`));
}

export async function summary(ctx: Context): Promise<void> {
  const text = ctx.args.text ?? "";
  if (text.trim() === "")
    throw usageError("the summary is empty", 'give the text, e.g. claudemesh summary "reviewing PRs"');
  if (ctx.noDaemon) {
    const { withBroker } = await import("../cold-path.js");
    await withBroker(currentMesh(ctx), (client) => client.setSummary(text));
    if (!ctx.json) ctx.out.note(ctx.out.c.dim(COLD_NOTE));
  } else {
    await (await daemon(ctx)).call("setSummary", { summary: text, mesh: meshParam(ctx) });
  }
  ctx.out.result({ ok: true, summary: text }, () => ctx.out.line(`summary: ${text}`));
}

export async function groupJoin(ctx: Context<typeof GROUP_JOIN_FLAGS>): Promise<void> {
  const name = checkGroup(ctx.args.name ?? "");
  await (await daemon(ctx)).call("joinGroup", { name, role: ctx.flags.role, mesh: meshParam(ctx) });
  ctx.out.result({ ok: true, group: name, role: ctx.flags.role ?? null }, () =>
    ctx.out.line(`joined @${name}${ctx.flags.role ? ` as ${ctx.flags.role}` : ""}`),
  );
}

export async function groupLeave(ctx: Context): Promise<void> {
  const name = checkGroup(ctx.args.name ?? "");
  await (await daemon(ctx)).call("leaveGroup", { name, mesh: meshParam(ctx) });
  ctx.out.result({ ok: true, group: name }, () => ctx.out.line(`left @${name}`));
}

export async function groupList(ctx: Context): Promise<void> {
  const { peers } = await (await daemon(ctx)).call("peers", { mesh: meshParam(ctx), all: true });
  const byGroup = new Map<string, Set<string>>();
  for (const peer of peers) {
    for (const group of peer.groups) {
      const members = byGroup.get(group) ?? new Set<string>();
      members.add(peer.self ? `${peer.display_name} (you)` : peer.display_name);
      byGroup.set(group, members);
    }
  }
  const groups = [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, members]) => ({
      name,
      members: [...members].sort(),
      mine: peers.some((p) => p.self && p.groups.includes(name)),
    }));
  ctx.out.result({ groups }, () =>
    ctx.out.table(
      [{ header: "GROUP" }, { header: "YOU" }, { header: "MEMBERS ONLINE" }],
      groups.map((g) => [`@${g.name}`, g.mine ? "yes" : "-", g.members.join(", ")]),
      "no groups (join one with `claudemesh group join <name>`)",
    ),
  );
}
