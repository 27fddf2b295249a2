/**
 * `hook prompt` (UserPromptSubmit): reports `working`; confirms a channel message the prompt consists of,
 * and those the transcript shows were attached mid-turn (marks them surfaced: the channel lane showed
 * them); reserves the session's other unsurfaced messages and renders them as context (stdout of this hook
 * is added to the model's context). The caller prints the text and only then marks them surfaced.
 */
import { renderContext, selectForContext } from "./context.js";
import type { HookInput } from "./input.js";
import { channelMessageIds, reserve, unread as unreadFor, withoutSeen } from "./surface.js";
import type { HookTarget } from "./target.js";

export interface PromptContext {
  /** The text to print (empty when there is nothing). */
  text: string;
  /** The messages in it, to mark surfaced once it is printed. */
  ids: string[];
}

export const NOTHING: PromptContext = { text: "", ids: [] };

export async function promptHook(
  target: HookTarget,
  input: HookInput,
  options: { at: number; reserveMs: number },
): Promise<PromptContext> {
  const { at, reserveMs } = options;
  const { client } = target;
  // Status is best effort: a refused status must not keep the messages from the model.
  const status = client.call("setStatus", { status: "working", source: "hook", at }).catch(() => undefined);
  const confirmed = channelMessageIds(input.prompt);
  if (confirmed.length > 0) await client.call("markSurfaced", { ids: confirmed, lane: "channel" });
  const unread = await unreadFor(target);
  const unseen = await withoutSeen(client, input.transcript_path, unread.messages);
  const { shown, blocks } = selectForContext(unseen);
  const reserved = new Set((await reserve(client, shown, reserveMs)).map((m) => m.id));
  await status;
  const kept = blocks.filter((_, i) => reserved.has(shown[i]?.id ?? ""));
  if (kept.length === 0) return NOTHING;
  const total = (unread.total ?? unread.messages.length) - (unread.messages.length - unseen.length);
  return {
    text: renderContext(kept, Math.max(0, total - shown.length), "prompt"),
    ids: shown.filter((m) => reserved.has(m.id)).map((m) => m.id),
  };
}
