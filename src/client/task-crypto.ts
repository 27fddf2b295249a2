/**
 * Task titles and results as our clients send and read them: `cm:enc1:` envelopes under the mesh data
 * key (protocol.md §5.8, made and opened in `value-crypto.ts`) when a key is given; text that is not an
 * envelope (from a reference client) reads as it is.
 */
import type { TaskEntry, TaskList } from "../protocol/frames.js";
import { UNREADABLE_TEXT, isSealedText, readText, sealText } from "./value-crypto.js";

/** `text` sealed under `dataKey`, or as it is without one. */
export function sealTaskText(text: string, dataKey: Uint8Array | undefined): string {
  return dataKey === undefined ? text : sealText(text, dataKey);
}

function openTaskText(text: string, dataKey: Uint8Array | undefined): string {
  if (dataKey === undefined) return isSealedText(text) ? UNREADABLE_TEXT : text;
  return readText(text, dataKey);
}

function openTask(t: TaskEntry, dataKey: Uint8Array | undefined): TaskEntry {
  const result = t.result === undefined || t.result === null ? t.result : openTaskText(t.result, dataKey);
  return { ...t, title: openTaskText(t.title, dataKey), result };
}

export function openTaskList(list: TaskList, dataKey: Uint8Array | undefined): TaskList {
  const opened: TaskList = { ...list, tasks: list.tasks.map((t) => openTask(t, dataKey)) };
  if (list.task) opened.task = openTask(list.task, dataKey);
  return opened;
}
