/** Tasks: `task create|claim|complete|list` (implementations in handlers/tasks.ts). */
import { defineVerb } from "../command.js";
import { TASK_COMPLETE_FLAGS, TASK_CREATE_FLAGS, TASK_LIST_FLAGS } from "../flags/tasks.js";

const create = defineVerb({
  path: ["task", "create"],
  section: "Shared mesh features",
  summary: "Create a task on the mesh's shared list (the title is end-to-end encrypted)",
  args: [{ name: "title", description: "what needs doing", variadic: true }],
  flags: TASK_CREATE_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    'claudemesh task create "fix the flaky login test"',
    'claudemesh task create "review #42" --assign alice --priority high --tags review,api',
  ],
  handler: async (ctx) => (await import("../handlers/tasks.js")).taskCreate(ctx),
});

const claim = defineVerb({
  path: ["task", "claim"],
  section: "Shared mesh features",
  summary: "Claim an open task; of any number of claimers exactly one wins (the others exit 1)",
  description: "A task already claimed or done is refused with code task_not_claimable (exit 1).",
  args: [{ name: "id", description: "the task id `task create` or `task list` printed" }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh task claim Xb7…", "claudemesh task claim Xb7… --json"],
  handler: async (ctx) => (await import("../handlers/tasks.js")).taskClaim(ctx),
});

const complete = defineVerb({
  path: ["task", "complete"],
  section: "Shared mesh features",
  summary: "Mark a task done (its claimer, its creator or an admin)",
  args: [{ name: "id", description: "the task id" }],
  flags: TASK_COMPLETE_FLAGS,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh task complete Xb7…", 'claudemesh task complete Xb7… --result "fixed in #57"'],
  handler: async (ctx) => (await import("../handlers/tasks.js")).taskComplete(ctx),
});

const list = defineVerb({
  path: ["task", "list"],
  section: "Shared mesh features",
  summary: "Tasks, newest first (at most 100)",
  flags: TASK_LIST_FLAGS,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh task list", "claudemesh task list --status open --json"],
  handler: async (ctx) => (await import("../handlers/tasks.js")).taskList(ctx),
});

export const TASK_VERBS = [create, claim, complete, list];
