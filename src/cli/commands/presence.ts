/** Presence: `status`, `summary`, `group join|leave|list`. */
import { groupNameProblem } from "../../protocol/targets.js";
import { defineVerb } from "../command.js";
import { usageError } from "../errors.js";
import { currentMesh, daemon } from "../services.js";
import { meshParam } from "./talk.js";

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

const status = defineVerb({
  path: ["status"],
  section: "Talking",
  summary: "Set your presence status: idle, working or dnd",
  description: "dnd holds `next` and `low` messages until you set idle or working again.",
  args: [{ name: "status", description: "idle, working or dnd" }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh status dnd", "claudemesh status idle"],
  async handler(ctx) {
    const value = ctx.args.status;
    if (!isStatus(value)) {
      throw usageError(`"${value ?? ""}" is not a status`, "use one of: idle, working, dnd");
    }
    if (ctx.noDaemon) {
      const { withBroker } = await import("../cold-path.js");
      await withBroker(currentMesh(ctx), (client) => client.setStatus(value, "manual"));
      if (!ctx.json) ctx.out.note(ctx.out.c.dim(COLD_NOTE));
    } else {
      await (await daemon(ctx)).setStatus({ status: value, source: "manual", mesh: meshParam(ctx) });
    }
    ctx.out.result({ ok: true, status: value }, () => ctx.out.line(`status: ${value}`));
  },
});

const summary = defineVerb({
  path: ["summary"],
  section: "Talking",
  summary: "Set the one-line summary peers see next to your name",
  args: [{ name: "text", description: "what you are doing (up to 1,024 characters)", variadic: true }],
  mesh: true,
  coldPath: true,
  examples: ['claudemesh summary "refactoring the auth module"'],
  async handler(ctx) {
    const text = ctx.args.text ?? "";
    if (text.trim() === "")
      throw usageError("the summary is empty", 'give the text, e.g. claudemesh summary "reviewing PRs"');
    if (ctx.noDaemon) {
      const { withBroker } = await import("../cold-path.js");
      await withBroker(currentMesh(ctx), (client) => client.setSummary(text));
      if (!ctx.json) ctx.out.note(ctx.out.c.dim(COLD_NOTE));
    } else {
      await (await daemon(ctx)).setSummary({ summary: text, mesh: meshParam(ctx) });
    }
    ctx.out.result({ ok: true, summary: text }, () => ctx.out.line(`summary: ${text}`));
  },
});

const groupJoin = defineVerb({
  path: ["group", "join"],
  section: "Talking",
  summary: "Join a group (hierarchical names a/b/c; @a reaches a/b/c)",
  args: [{ name: "name", description: "the group, e.g. backend or team/api" }],
  flags: { role: { type: "string", valueName: "role", description: "your role in the group, e.g. lead" } },
  mesh: true,
  examples: ["claudemesh group join backend", "claudemesh group join team/api --role lead"],
  async handler(ctx) {
    const name = checkGroup(ctx.args.name ?? "");
    await (await daemon(ctx)).joinGroup({ name, role: ctx.flags.role, mesh: meshParam(ctx) });
    ctx.out.result({ ok: true, group: name, role: ctx.flags.role ?? null }, () =>
      ctx.out.line(`joined @${name}${ctx.flags.role ? ` as ${ctx.flags.role}` : ""}`),
    );
  },
});

const groupLeave = defineVerb({
  path: ["group", "leave"],
  section: "Talking",
  summary: "Leave a group",
  args: [{ name: "name", description: "the group" }],
  mesh: true,
  examples: ["claudemesh group leave backend"],
  async handler(ctx) {
    const name = checkGroup(ctx.args.name ?? "");
    await (await daemon(ctx)).leaveGroup({ name, mesh: meshParam(ctx) });
    ctx.out.result({ ok: true, group: name }, () => ctx.out.line(`left @${name}`));
  },
});

const groupList = defineVerb({
  path: ["group", "list"],
  section: "Talking",
  summary: "Groups of your own presences, and who is in which group",
  mesh: true,
  examples: ["claudemesh group list", "claudemesh group list --json"],
  async handler(ctx) {
    const { peers } = await (await daemon(ctx)).peers({ mesh: meshParam(ctx), all: true });
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
  },
});

export const PRESENCE_VERBS = [status, summary, groupJoin, groupLeave, groupList];
