/**
 * Task titles and results under the mesh data key (protocol.md §5.8): our clients send `cm:enc1:` strings
 * and open them on read. Text that is not an envelope (from a reference client) reads as it is.
 */
import { decryptValueString, encryptValueString, isEncryptedValueString } from "../crypto/index.js";
import type { TaskEntry, TaskList } from "../protocol/frames.js";

/** What a task list shows for an envelope the data key does not open. */
export const UNREADABLE_TEXT = "[encrypted: cannot decrypt with this mesh's key]";

export function sealText(text: string, dataKey: Uint8Array | undefined): string {
  return dataKey === undefined ? text : encryptValueString(text, dataKey);
}

export function openText(text: string, dataKey: Uint8Array | undefined): string {
  if (!isEncryptedValueString(text)) return text;
  if (dataKey === undefined) return UNREADABLE_TEXT;
  return decryptValueString(text, dataKey) ?? UNREADABLE_TEXT;
}

function openTask(t: TaskEntry, dataKey: Uint8Array | undefined): TaskEntry {
  const result = t.result === undefined || t.result === null ? t.result : openText(t.result, dataKey);
  return { ...t, title: openText(t.title, dataKey), result };
}

export function openTaskList(list: TaskList, dataKey: Uint8Array | undefined): TaskList {
  const opened: TaskList = { ...list, tasks: list.tasks.map((t) => openTask(t, dataKey)) };
  if (list.task) opened.task = openTask(list.task, dataKey);
  return opened;
}
