/**
 * `hook prompt` (UserPromptSubmit): reports `working`; confirms a channel message the prompt consists of,
 * and those the transcript shows were attached mid-turn (marks them surfaced: the channel lane showed
 * them); prints the session's other unsurfaced messages as context (stdout of this hook is added to the
 * model's context) and marks them surfaced.
 */
import { renderContext, selectForContext } from "./context.js";
import type { HookInput } from "./input.js";
import { channelMessageIds, claim, unread as unreadFor, withoutSeen } from "./surface.js";
import type { HookTarget } from "./target.js";

/** The text to print (empty when there is nothing). */
export async function promptHook(target: HookTarget, input: HookInput): Promise<string> {
  const { client } = target;
  // Status is best effort: a refused status must not keep the messages from the model.
  const status = client.setStatus({ status: "working", source: "hook" }).catch(() => undefined);
  const confirmed = channelMessageIds(input.prompt);
  if (confirmed.length > 0) await client.markSurfaced({ ids: confirmed, lane: "channel" });
  const unread = await unreadFor(target);
  const unseen = await withoutSeen(client, input.transcript_path, unread.messages);
  const { shown, blocks } = selectForContext(unseen);
  const claimed = new Set((await claim(client, shown, "prompt")).map((m) => m.id));
  await status;
  const kept = blocks.filter((_, i) => claimed.has(shown[i]?.id ?? ""));
  if (kept.length === 0) return "";
  const total = (unread.total ?? unread.messages.length) - (unread.messages.length - unseen.length);
  return renderContext(kept, Math.max(0, total - shown.length), "prompt");
}
