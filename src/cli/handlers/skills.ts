/** Mesh-shared skills: `skill share|get|list|remove`. */
import { readFile } from "node:fs/promises";
import type { Context } from "../command.js";
import type { SKILL_SHARE_FLAGS } from "../flags/skills.js";
import { CliError, ExitCode, usageError } from "../errors.js";
import { daemon, meshParam } from "../services.js";
import { parseSkillFile } from "../skill-file.js";

async function readSkillFile(path: string | undefined): Promise<string> {
  if (path === undefined || path === "") {
    throw usageError("no skill file given", "pass it with --file <SKILL.md>");
  }
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
    throw new CliError(
      code === "ENOENT" ? "file_not_found" : "file_unreadable",
      code === "ENOENT" ? `no file ${path}` : `cannot read ${path} (${code || String(error)})`,
      "pass the path of the skill's SKILL.md with --file",
      ExitCode.usage,
    );
  }
}

export async function share(ctx: Context<typeof SKILL_SHARE_FLAGS>): Promise<void> {
  const name = ctx.args.name ?? "";
  const file = parseSkillFile(await readSkillFile(ctx.flags.file));
  if (file.instructions.trim() === "") {
    throw usageError(
      `${ctx.flags.file} holds no instructions`,
      "write the skill's instructions into the file",
    );
  }
  const client = await daemon(ctx);
  const result = await client.call("shareSkill", {
    name,
    description: ctx.flags.description ?? file.description ?? "",
    instructions: file.instructions,
    tags: ctx.flags.tags,
    ...(file.manifest === null ? {} : { manifest: file.manifest }),
    mesh: meshParam(ctx),
  });
  ctx.out.result({ ...result }, () =>
    ctx.out.line(`shared skill ${ctx.out.c.bold(result.name)}: sessions get it as /${result.name}`),
  );
}

export async function get(ctx: Context): Promise<void> {
  const { skill } = await (
    await daemon(ctx)
  ).call("getSkill", { name: ctx.args.name ?? "", mesh: meshParam(ctx) });
  ctx.out.result({ skill }, () => {
    const c = ctx.out.c;
    if (skill === null) {
      ctx.out.line(c.dim(`no skill named "${ctx.args.name ?? ""}" (see \`claudemesh skill list\`)`));
      return;
    }
    ctx.out.line(`${c.bold(skill.name)}  ${c.dim(`by ${skill.author}, ${skill.created_at}`)}`);
    if (skill.description) ctx.out.line(skill.description);
    if (skill.tags.length > 0) ctx.out.line(c.dim(skill.tags.map((t) => `#${t}`).join(" ")));
    ctx.out.line();
    ctx.out.line(skill.instructions);
  });
}

export async function list(ctx: Context): Promise<void> {
  const query = ctx.args.query;
  const { skills } = await (await daemon(ctx)).call("listSkills", { query, mesh: meshParam(ctx) });
  ctx.out.result({ skills }, () =>
    ctx.out.table(
      [
        { header: "NAME" },
        { header: "DESCRIPTION" },
        { header: "TAGS" },
        { header: "AUTHOR" },
        { header: "SHARED" },
      ],
      skills.map((s) => [s.name, s.description || "-", s.tags.join(",") || "-", s.author, s.created_at]),
      query
        ? `no skill matches "${query}"`
        : "no skills shared yet (`claudemesh skill share <name> --file SKILL.md`)",
    ),
  );
}

export async function remove(ctx: Context): Promise<void> {
  const result = await (
    await daemon(ctx)
  ).call("removeSkill", { name: ctx.args.name ?? "", mesh: meshParam(ctx) });
  ctx.out.result({ ...result }, () =>
    ctx.out.line(
      result.action === "removed"
        ? `removed skill ${ctx.out.c.bold(result.name)}`
        : ctx.out.c.dim(`no skill named "${result.name}": nothing to remove`),
    ),
  );
}
