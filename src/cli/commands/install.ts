/** `install` / `uninstall`: register claudemesh with Claude Code (MCP server, hooks, permission, skill, service). */
import { homedir } from "node:os";
import { defineVerb, type Context } from "../command.js";
import { install, uninstall, type FileChange } from "../install/install.js";
import type { ServiceResult } from "../install/service.js";

function tilde(path: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME || homedir();
  return path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

function fileLine(ctx: Context, what: string, change: FileChange, verb: "updated" | "removed from"): string {
  const c = ctx.out.c;
  const where = tilde(change.file, ctx.env);
  return change.changed
    ? `${c.green("✓")} ${what}: ${verb} ${where}`
    : `${c.dim("·")} ${what}: ${verb === "updated" ? "already in" : "not in"} ${where}`;
}

function serviceLine(ctx: Context, service: ServiceResult | null): string {
  const c = ctx.out.c;
  if (service === null) return `${c.dim("·")} daemon service: skipped (--no-service)`;
  const mark =
    service.state === "skipped"
      ? c.yellow("!")
      : service.state === "unchanged" || service.state === "absent"
        ? c.dim("·")
        : c.green("✓");
  const file = service.file ? ` (${tilde(service.file, ctx.env)})` : "";
  return `${mark} daemon service: ${service.state}${file} — ${service.note}`;
}

/**
 * `--no-hooks` & co: the parser reads a negated flag under its positive name, so each is declared as the
 * positive flag (default true) plus its `no-` form.
 */
const negatable = (what: string) =>
  ({
    on: { type: "boolean", default: true, description: `${what} (the default)` },
    off: { type: "boolean", description: `skip: ${what}` },
  }) as const;

const hooks = negatable("add the delivery-lane hooks to ~/.claude/settings.json");
const skill = negatable("copy the skill to ~/.claude/skills/claudemesh/SKILL.md");
const service = negatable("install the daemon as a user service (systemd --user, launchd)");

const installVerb = defineVerb({
  path: ["install"],
  section: "Claude Code integration",
  summary: "Register claudemesh with Claude Code: MCP server, hooks, permission, skill, daemon service",
  description:
    "Edits ~/.claude.json (mcpServers.claudemesh, absolute paths) and ~/.claude/settings.json (hooks and the\n" +
    "Bash(claudemesh:*) permission), keeping everything else; idempotent; `claudemesh uninstall` undoes it.",
  flags: {
    hooks: hooks.on,
    noHooks: hooks.off,
    skill: skill.on,
    noSkill: skill.off,
    service: service.on,
    noService: service.off,
  },
  examples: ["claudemesh install", "claudemesh install --no-service", "claudemesh install --json"],
  async handler(ctx) {
    const report = install({
      hooks: ctx.flags.hooks,
      skill: ctx.flags.skill,
      service: ctx.flags.service,
      env: ctx.env,
    });
    ctx.out.result({ ...report }, () => {
      ctx.out.line(fileLine(ctx, "MCP server", report.mcp, "updated"));
      const what = report.settings.hooks ? "hooks and permission" : "permission (hooks: --no-hooks)";
      ctx.out.line(fileLine(ctx, what, report.settings, "updated"));
      if (report.skill) ctx.out.line(fileLine(ctx, "skill", report.skill, "updated"));
      else ctx.out.line(`${ctx.out.c.dim("·")} skill: skipped (--no-skill)`);
      ctx.out.line(serviceLine(ctx, report.service));
      ctx.out.line("");
      ctx.out.line(
        `Start a session on the mesh with ${ctx.out.c.cyan("claudemesh launch")}; plain \`claude\` gets member messages.`,
      );
    });
  },
});

const uninstallVerb = defineVerb({
  path: ["uninstall"],
  section: "Claude Code integration",
  summary: "Remove exactly what `claudemesh install` added",
  flags: {
    service: service.on,
    noService: { type: "boolean", description: "leave the daemon service alone" },
  },
  examples: ["claudemesh uninstall"],
  async handler(ctx) {
    const report = uninstall({ env: ctx.env, service: ctx.flags.service });
    ctx.out.result({ ...report }, () => {
      ctx.out.line(fileLine(ctx, "MCP server", report.mcp, "removed from"));
      ctx.out.line(fileLine(ctx, "hooks and permission", report.settings, "removed from"));
      ctx.out.line(fileLine(ctx, "skill", report.skill, "removed from"));
      if (report.service) ctx.out.line(serviceLine(ctx, report.service));
    });
  },
});

export const INSTALL_VERBS = [installVerb, uninstallVerb];
