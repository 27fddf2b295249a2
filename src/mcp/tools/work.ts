/** Tools for tasks and leases. */
import { z } from "zod";
import { countOf, oneLine } from "../../claude-code/peer-text.js";
import type { TaskView } from "../../daemon-api/tasks-leases.js";
import { ResourceError, leaseResource, repoInfo } from "../../host/lease-resource.js";
import { InvalidArguments, defineTool } from "./define.js";

function describeTask(t: TaskView): string {
  const parts = [`${t.id} [${t.status}, ${t.priority}] ${oneLine(t.title)}`, `by ${t.created_by}`];
  if (t.assignee) parts.push(`for ${t.assignee}`);
  if (t.claimed_by) parts.push(`claimed by ${t.claimed_by}`);
  if (t.tags.length > 0) parts.push(`tags: ${t.tags.join(", ")}`);
  if (t.result) parts.push(`result: ${oneLine(t.result)}`);
  return `- ${parts.join(" · ")}`;
}

export const listTasks = defineTool({
  name: "list_tasks",
  description: "List the mesh's shared tasks, newest first (at most 100), optionally by status or assignee.",
  input: z.object({
    status: z.enum(["open", "claimed", "done"]).optional().describe("Only tasks in this state"),
    assignee: z.string().min(1).optional().describe("Only tasks assigned to this display name"),
  }),
  async run(client, args) {
    const { tasks } = await client.call("listTasks", { status: args.status, assignee: args.assignee });
    if (tasks.length === 0) return "No tasks match.";
    return [`${countOf(tasks.length, "task")}:`, ...tasks.map(describeTask)].join("\n");
  },
});

export const createTask = defineTool({
  name: "create_task",
  description:
    "Put a task on the mesh's shared list for any peer to claim. The title is end-to-end encrypted.",
  input: z.object({
    title: z.string().min(1).describe("What needs doing"),
    assignee: z.string().min(1).optional().describe("Who should do it (a display name)"),
    priority: z.enum(["low", "normal", "high", "urgent"]).optional().describe("Default normal"),
    tags: z.array(z.string().min(1)).optional(),
  }),
  async run(client, args) {
    const { id } = await client.call("createTask", args);
    return `Created task ${id}. Peers can claim it with claim_task.`;
  },
});

export const claimTask = defineTool({
  name: "claim_task",
  description:
    "Claim an open task before working on it. Atomic: if another peer claimed it first you get an error and should pick another task.",
  input: z.object({ task_id: z.string().min(1).describe("The task id from list_tasks") }),
  async run(client, args) {
    const view = await client.call("claimTask", { id: args.task_id });
    return `You claimed task ${view.id}; it is yours to do. Call complete_task when done.`;
  },
});

export const completeTask = defineTool({
  name: "complete_task",
  description:
    "Mark a task done, with an optional result (encrypted). Only its claimer, its creator or an admin may.",
  input: z.object({
    task_id: z.string().min(1).describe("The task id"),
    result: z.string().optional().describe("What came of it: a summary, a PR link"),
  }),
  async run(client, args) {
    const view = await client.call("completeTask", { id: args.task_id, result: args.result });
    return `Task ${view.id} is ${view.status}.`;
  },
});

export const acquireLease = defineTool({
  name: "acquire_lease",
  description:
    "Lease a file, directory, glob or branch (branch:<name>) before editing it, so no other peer edits it meanwhile. " +
    "Paths are relative to the project directory. If another peer holds it you get an error naming them: pick other work or ask them.",
  input: z.object({
    resource: z.string().min(1).describe("A path, a glob, or branch:<name>"),
    ttl_minutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .optional()
      .describe("How long it lasts unless renewed (default 30)"),
    reason: z.string().max(200).optional().describe("What you are doing, for the others"),
  }),
  async run(client, args) {
    const resource = resourceHere(args.resource);
    const ttl_ms = args.ttl_minutes === undefined ? undefined : args.ttl_minutes * 60_000;
    const grant = await client.call("acquireLease", { resource, ttl_ms, reason: args.reason });
    return `You hold ${grant.resource} until ${grant.expires_at}. Release it with release_lease when done.`;
  },
});

export const releaseLease = defineTool({
  name: "release_lease",
  description: "Release a lease you hold (same resource as given to acquire_lease).",
  input: z.object({ resource: z.string().min(1).describe("The path, glob or branch:<name> you leased") }),
  async run(client, args) {
    const reply = await client.call("releaseLease", { resource: resourceHere(args.resource) });
    return reply.released ? `Released ${reply.resource}.` : `There was no lease on ${reply.resource}.`;
  },
});

export const listLeases = defineTool({
  name: "list_leases",
  description:
    "List live leases on the mesh: which peer is editing which file, directory or branch, until when.",
  input: z.object({}),
  async run(client) {
    const { leases } = await client.call("listLeases", {});
    if (leases.length === 0) return "No leases are held.";
    const lines = leases.map(
      (l) =>
        `- ${l.resource} · ${l.holder_name} until ${l.expires_at}${l.reason ? ` · "${oneLine(l.reason)}"` : ""}`,
    );
    return [`${countOf(leases.length, "lease")}:`, ...lines].join("\n");
  },
});

function resourceHere(arg: string): string {
  const cwd = process.cwd();
  try {
    return leaseResource(arg, cwd, repoInfo(cwd));
  } catch (err) {
    if (err instanceof ResourceError) throw new InvalidArguments(`${err.message}; ${err.hint}`);
    throw err;
  }
}
