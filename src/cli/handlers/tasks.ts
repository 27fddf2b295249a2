/** Tasks: `task create|claim|complete|list` through the daemon (or its one-shot form with --no-daemon). */
import type { Context } from "../command.js";
import { usageError } from "../errors.js";
import type { TASK_COMPLETE_FLAGS, TASK_CREATE_FLAGS, TASK_LIST_FLAGS } from "../flags/tasks.js";
import { daemon, meshParam } from "../services.js";

function taskId(ctx: Context): string {
  const id = (ctx.args.id ?? "").trim();
  if (id === "") throw usageError("no task id given", "pass the id `claudemesh task list` shows");
  return id;
}

export async function taskCreate(ctx: Context<typeof TASK_CREATE_FLAGS>): Promise<void> {
  const title = (ctx.args.title ?? "").trim();
  if (title === "")
    throw usageError("the title is empty", 'e.g. claudemesh task create "fix the login test"');
  const priority = ctx.flags.priority as "low" | "normal" | "high" | "urgent" | undefined;
  const { id } = await (
    await daemon(ctx)
  ).call("createTask", {
    title,
    assignee: ctx.flags.assign,
    priority,
    tags: ctx.flags.tags,
    mesh: meshParam(ctx),
  });
  ctx.out.result({ id }, () => ctx.out.line(`created task ${id}`));
}

export async function taskClaim(ctx: Context): Promise<void> {
  const view = await (await daemon(ctx)).call("claimTask", { id: taskId(ctx), mesh: meshParam(ctx) });
  ctx.out.result({ ...view }, () => ctx.out.line(`claimed task ${view.id}`));
}

export async function taskComplete(ctx: Context<typeof TASK_COMPLETE_FLAGS>): Promise<void> {
  const view = await (
    await daemon(ctx)
  ).call("completeTask", {
    id: taskId(ctx),
    result: ctx.flags.result,
    mesh: meshParam(ctx),
  });
  ctx.out.result({ ...view }, () => ctx.out.line(`task ${view.id} is ${view.status}`));
}

export async function taskList(ctx: Context<typeof TASK_LIST_FLAGS>): Promise<void> {
  const status = ctx.flags.status as "open" | "claimed" | "done" | undefined;
  const { tasks } = await (
    await daemon(ctx)
  ).call("listTasks", {
    status,
    assignee: ctx.flags.assignee,
    mesh: meshParam(ctx),
  });
  ctx.out.result({ tasks }, () => {
    const c = ctx.out.c;
    ctx.out.table(
      [
        { header: "ID" },
        { header: "STATUS" },
        { header: "PRIORITY" },
        { header: "TITLE" },
        { header: "BY" },
        { header: "ASSIGNEE" },
        { header: "CLAIMED BY" },
      ],
      tasks.map((t) => [
        t.id,
        t.status === "open"
          ? c.green(t.status)
          : t.status === "claimed"
            ? c.yellow(t.status)
            : c.dim(t.status),
        t.priority,
        t.title + (t.result ? c.dim(` → ${t.result}`) : ""),
        t.created_by,
        t.assignee ?? "",
        t.claimed_by ?? "",
      ]),
      "no tasks",
    );
  });
}
