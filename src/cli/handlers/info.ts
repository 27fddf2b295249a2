/** `info`: the mesh at a glance (`mesh_info`), as this presence sees it. */
import type { Context } from "../command.js";
import { daemon, meshParam } from "../services.js";

export async function info(ctx: Context): Promise<void> {
  const view = await (await daemon(ctx)).call("info", { mesh: meshParam(ctx) });
  ctx.out.result({ ...view }, () => {
    const c = ctx.out.c;
    const you = view.your_groups.map((g) => `@${g.name}${g.role ? `:${g.role}` : ""}`).join(", ");
    const rows: Array<[string, string]> = [
      ["mesh", view.mesh],
      ["you", `${view.your_name}${you ? ` (${you})` : ""}`],
      ["peers", `${view.peers} online`],
      ["groups", view.groups.join(", ") || c.dim("none")],
      ["state", view.state_keys.length > 0 ? view.state_keys.join(", ") : c.dim("no keys")],
      ["memories", String(view.memory_count)],
      ["files", String(view.file_count)],
      ["tasks", `${view.tasks.open} open, ${view.tasks.claimed} claimed, ${view.tasks.done} done`],
    ];
    for (const [label, value] of rows) ctx.out.line(`${c.bold(label.padEnd(9))}${value}`);
  });
}
