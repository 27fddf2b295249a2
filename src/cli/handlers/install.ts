/** `install` / `uninstall`: register claudemesh with Claude Code (MCP server, hooks, permission, skill, service). */
import { userHome } from "../../host/paths.js";
import { cliMissingAdvice, cliOnPath } from "../../claude-code/cli-on-path.js";
import type { Context } from "../command.js";
import type { INSTALL_FLAGS, UNINSTALL_FLAGS } from "../flags/install.js";
import {
  install as installAll,
  uninstall as uninstallAll,
  type FileChange,
} from "../../claude-code/install/install.js";
import type { ServiceResult } from "../../host/user-service.js";

function tilde(path: string, env: NodeJS.ProcessEnv): string {
  const home = userHome(env);
  return path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

function fileLine(ctx: Context, what: string, change: FileChange, verb: "updated" | "removed from"): string {
  const c = ctx.out.c;
  const where = tilde(change.file, ctx.env);
  return change.changed
    ? `${c.green("✓")} ${what}: ${verb} ${where}`
    : `${c.dim("·")} ${what}: ${verb === "updated" ? "already in" : "not in"} ${where}`;
}

/** The skill's line: like the others, or a warning when a file that is not ours was kept. */
function skillLine(
  ctx: Context,
  skill: FileChange & { kept: boolean; note: string | null },
  verb: "updated" | "removed from",
): string {
  if (!skill.kept) return fileLine(ctx, "skill", skill, verb);
  return `${ctx.out.c.yellow("!")} skill: ${skill.note ?? `kept ${tilde(skill.file, ctx.env)}`}`;
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

export async function install(ctx: Context<typeof INSTALL_FLAGS>): Promise<void> {
  const report = installAll({
    hooks: ctx.flags.hooks,
    skill: ctx.flags.skill,
    forceSkill: ctx.flags.force,
    service: ctx.flags.service,
    env: ctx.env,
  });
  const cli = cliOnPath(ctx.env);
  ctx.out.result({ ...report, cli_on_path: cli }, () => {
    ctx.out.line(fileLine(ctx, "MCP server", report.mcp, "updated"));
    const what = report.settings.hooks ? "hooks and permission" : "permission (hooks: --no-hooks)";
    ctx.out.line(fileLine(ctx, what, report.settings, "updated"));
    if (report.skill) ctx.out.line(skillLine(ctx, report.skill, "updated"));
    else ctx.out.line(`${ctx.out.c.dim("·")} skill: skipped (--no-skill)`);
    ctx.out.line(serviceLine(ctx, report.service));
    if (cli === null) {
      const advice = cliMissingAdvice();
      ctx.out.line(`${ctx.out.c.yellow("!")} ${advice.detail}`);
      ctx.out.line(`    fix: ${ctx.out.c.cyan(advice.fix)}`);
    }
    ctx.out.line("");
    ctx.out.line(
      `Start a session on the mesh with ${ctx.out.c.cyan("claudemesh launch")}; plain \`claude\` gets member messages.`,
    );
  });
}

export async function uninstall(ctx: Context<typeof UNINSTALL_FLAGS>): Promise<void> {
  const report = uninstallAll({ env: ctx.env, service: ctx.flags.service });
  ctx.out.result({ ...report }, () => {
    ctx.out.line(fileLine(ctx, "MCP server", report.mcp, "removed from"));
    ctx.out.line(fileLine(ctx, "hooks and permission", report.settings, "removed from"));
    ctx.out.line(skillLine(ctx, report.skill, "removed from"));
    if (report.service) ctx.out.line(serviceLine(ctx, report.service));
  });
}
