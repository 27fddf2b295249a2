/** Shared memory: `remember`, `recall`, `forget` (through the daemon, or in-process with --no-daemon). */
import type { Context } from "../command.js";
import type { REMEMBER_FLAGS } from "../flags/memory.js";
import { usageError } from "../errors.js";
import { daemon, meshParam, readStdin, withoutFinalNewline } from "../services.js";

export async function remember(ctx: Context<typeof REMEMBER_FLAGS>): Promise<void> {
  const text =
    ctx.args.text === "-" ? withoutFinalNewline(await readStdin(ctx.stdin)) : (ctx.args.text ?? "");
  if (text.trim() === "") {
    throw usageError("the memory is empty", "give the text as an argument, or pipe it with -");
  }
  const client = await daemon(ctx);
  const { id } = await client.call("remember", { content: text, tags: ctx.flags.tags, mesh: meshParam(ctx) });
  ctx.out.result({ id }, () => ctx.out.line(`remembered ${ctx.out.c.bold(id)}`));
}

export async function recall(ctx: Context): Promise<void> {
  const query = ctx.argv.join(" ").trim();
  if (query === "")
    throw usageError("the query is empty", "give the words to look for: claudemesh recall <words>");
  const client = await daemon(ctx);
  const { memories } = await client.call("recall", { query, mesh: meshParam(ctx) });
  ctx.out.result({ memories }, () => {
    const c = ctx.out.c;
    if (memories.length === 0) {
      ctx.out.line(c.dim(`no memory matches "${query}"`));
      return;
    }
    for (const m of memories) {
      const tags = m.tags.length > 0 ? `  ${c.dim(m.tags.map((t) => `#${t}`).join(" "))}` : "";
      ctx.out.line(`${c.bold(m.id)}  ${c.dim(`${m.remembered_by}, ${m.remembered_at}`)}${tags}`);
      for (const line of m.content.split("\n")) ctx.out.line(`  ${line}`);
    }
  });
}

export async function forget(ctx: Context): Promise<void> {
  const id = ctx.args.id ?? "";
  const client = await daemon(ctx);
  const result = await client.call("forget", { id, mesh: meshParam(ctx) });
  ctx.out.result({ ...result }, () => ctx.out.line(`forgot ${ctx.out.c.bold(result.id)}`));
}
