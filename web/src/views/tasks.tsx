/**
 * The tasks board (protocol.md §6.3): open, claimed and done tasks as cards, titles and results opened
 * here with the mesh data key (§5.8) and shown as text. Create, claim, complete with an optional result;
 * the board reloads on every `task_change`, so other members' moves show without a reload.
 */
import { useState } from "preact/hooks";
import { meshDataKey } from "../../../src/client/value-crypto.js";
import {
  TASK_RESULT_PLAINTEXT_MAX_CHARS,
  TASK_TITLE_PLAINTEXT_MAX_CHARS,
  type TaskEntry,
} from "../../../src/protocol/families/tasks.js";
import { useAction } from "../action.js";
import type { ViewProps } from "../dashboard.js";
import { tooLong } from "../limits.js";
import { messageOf } from "../mesh.js";
import { useWhenOnline } from "../online.js";
import { useEvent } from "../store.js";

const COLUMNS = [
  { status: "open", label: "Open" },
  { status: "claimed", label: "Claimed" },
  { status: "done", label: "Done" },
] as const;

const PRIORITIES = ["low", "normal", "high", "urgent"];

export default function TasksView({ mesh }: ViewProps) {
  const [tasks, setTasks] = useState<TaskEntry[]>([]);
  const [members, setMembers] = useState<string[]>([]);
  const [key] = useState(() => meshDataKey(mesh.rootKey));
  /** Why the board could not be loaded; an action's error is apart, so a reload never hides it. */
  const [loadError, setLoadError] = useState<string | null>(null);

  const { error, setError, run: act } = useAction(() => reload());
  const reload = (): void => {
    mesh.client.listTasks({}, { dataKey: key }).then(
      (list) => {
        setTasks(list.tasks);
        setLoadError(null);
      },
      (err: unknown) => setLoadError(messageOf(err)),
    );
  };
  useWhenOnline(mesh, () => {
    reload();
    mesh.client.listMembers().then(
      (list) => setMembers(list.map((m) => m.displayName)),
      () => undefined,
    );
  });
  useEvent(mesh.systemEvents, (event) => {
    if (event.event === "task_change") reload();
  });

  return (
    <section id="tasks-view">
      <h2>Tasks</h2>
      <CreateTask
        members={members}
        onCreate={(input) => act(() => mesh.client.createTask(input, { dataKey: key }))}
        onProblem={setError}
      />
      {error !== null && (
        <p id="tasks-error" class="error" role="alert">
          {error}
        </p>
      )}
      {loadError !== null && <p class="error">{loadError}</p>}
      <div class="board">
        {COLUMNS.map((column) => {
          const shown = tasks.filter((t) => t.status === column.status);
          return (
            <div key={column.status} class="board-column" id={`tasks-${column.status}`}>
              <h3>
                {column.label} <span class="muted">({shown.length})</span>
              </h3>
              <ul class="task-list">
                {shown.map((task) => (
                  <TaskCard
                    key={task.id}
                    task={task}
                    mine={task.claimedBy === mesh.membership.displayName}
                    onClaim={() => act(() => mesh.client.claimTask(task.id, { dataKey: key }))}
                    onComplete={(result) =>
                      act(() => mesh.client.completeTask(task.id, result, { dataKey: key }))
                    }
                    onProblem={setError}
                  />
                ))}
              </ul>
              {shown.length === 0 && <p class="muted">None.</p>}
            </div>
          );
        })}
      </div>
    </section>
  );
}

interface NewTask {
  title: string;
  assignee?: string;
  priority?: string;
  tags?: string[];
}

function CreateTask(props: {
  members: string[];
  onCreate: (task: NewTask) => Promise<void>;
  /** Says what is wrong with the form, or null. */
  onProblem: (problem: string | null) => void;
}) {
  const [title, setTitle] = useState("");
  const [assignee, setAssignee] = useState("");
  const [priority, setPriority] = useState("");
  const [tags, setTags] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const text = title.trim();
    if (text === "") {
      props.onProblem("give the task a title");
      return;
    }
    const long = tooLong("the title", text, TASK_TITLE_PLAINTEXT_MAX_CHARS);
    if (long !== null) {
      props.onProblem(long);
      return;
    }
    const tagList = tags
      .split(/[\s,]+/)
      .map((t) => t.trim())
      .filter((t) => t !== "");
    setBusy(true);
    await props.onCreate({
      title: text,
      ...(assignee === "" ? {} : { assignee }),
      ...(priority === "" ? {} : { priority }),
      ...(tagList.length === 0 ? {} : { tags: tagList }),
    });
    setBusy(false);
    setTitle("");
    setTags("");
  };

  return (
    <form id="task-create" onSubmit={(e) => void submit(e)}>
      <input
        id="task-title"
        class="grow"
        placeholder="New task"
        required
        value={title}
        onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
      />
      <select
        id="task-assignee"
        aria-label="Assignee"
        value={assignee}
        onChange={(e) => setAssignee((e.target as HTMLSelectElement).value)}
      >
        <option value="">Anyone</option>
        {props.members.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <select
        id="task-priority"
        aria-label="Priority"
        value={priority}
        onChange={(e) => setPriority((e.target as HTMLSelectElement).value)}
      >
        <option value="">Priority</option>
        {PRIORITIES.map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
      <input
        id="task-tags"
        placeholder="tags"
        value={tags}
        onInput={(e) => setTags((e.target as HTMLInputElement).value)}
      />
      <button id="task-add" type="submit" disabled={busy}>
        Add task
      </button>
    </form>
  );
}

function TaskCard(props: {
  task: TaskEntry;
  /** Claimed by this member: only the claimer completes a task. */
  mine: boolean;
  onClaim: () => Promise<void>;
  onComplete: (result: string | undefined) => Promise<void>;
  /** Says what is wrong with the result, or null. */
  onProblem: (problem: string | null) => void;
}) {
  const { task } = props;
  const [finishing, setFinishing] = useState(false);
  const [result, setResult] = useState("");
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>): Promise<void> => {
    setBusy(true);
    await work();
    setBusy(false);
  };

  return (
    <li class={`card task task-${task.status}`} data-id={task.id}>
      <p class="task-title">{task.title}</p>
      <p class="task-meta muted">
        {task.priority !== "" && (
          <span class={`badge priority priority-${task.priority}`}>{task.priority}</span>
        )}{" "}
        by {task.createdBy} · {new Date(task.createdAt).toLocaleString()}
        {task.assignee !== null && <> · for {task.assignee}</>}
        {task.claimedBy !== null && <span class="task-claimed-by"> · claimed by {task.claimedBy}</span>}
      </p>
      {task.tags.length > 0 && <p class="task-tags mono">{task.tags.map((t) => `#${t}`).join(" ")}</p>}
      {task.result !== undefined && task.result !== null && task.result !== "" && (
        <p class="task-result">{task.result}</p>
      )}
      {task.status === "open" && (
        <button class="task-claim" type="button" disabled={busy} onClick={() => void run(props.onClaim)}>
          Claim
        </button>
      )}
      {task.status === "claimed" && props.mine && !finishing && (
        <button class="task-complete" type="button" onClick={() => setFinishing(true)}>
          Complete…
        </button>
      )}
      {task.status === "claimed" && props.mine && finishing && (
        <form
          class="task-finish"
          onSubmit={(e) => {
            e.preventDefault();
            const text = result.trim();
            const long = tooLong("the result", text, TASK_RESULT_PLAINTEXT_MAX_CHARS);
            if (long !== null) props.onProblem(long);
            else void run(() => props.onComplete(text === "" ? undefined : text));
          }}
        >
          <input
            class="task-result-input grow"
            placeholder="Result (optional)"
            value={result}
            onInput={(e) => setResult((e.target as HTMLInputElement).value)}
          />
          <button class="task-done" type="submit" disabled={busy}>
            Done
          </button>
          <button type="button" onClick={() => setFinishing(false)}>
            Cancel
          </button>
        </form>
      )}
    </li>
  );
}
