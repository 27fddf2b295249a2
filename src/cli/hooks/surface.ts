/**
 * The surfaced mark from the hooks' side. A lane claims a message by marking it; only a new mark (the
 * daemon answers `marked: 1`) gives the right to show it, so two lanes racing never both show one message.
 */
import type { InboxMessage, InboxResponse, SurfacedRequest } from "../../local/daemon-api.js";
import type { DaemonClient } from "../../local/daemon-client.js";
import type { HookTarget } from "./target.js";
import { channelIdsInTranscript, unescapeAttribute } from "./transcript.js";

/**
 * The unsurfaced messages a hook may show, oldest first. A launched session sees its own messages and its
 * member's since it registered; older member-level ones were for whoever ran then (they stay in `inbox`).
 */
export async function unread(target: HookTarget): Promise<InboxResponse> {
  const since = target.launched ? (await target.client.sessionsMe()).registered_at : undefined;
  return target.client.get<InboxResponse>("/v1/inbox", { unread: true, limit: 200, since });
}

/** Marks each message surfaced for `lane`; resolves with the ones this call marked first. */
export async function claim(
  client: DaemonClient,
  messages: readonly InboxMessage[],
  lane: NonNullable<SurfacedRequest["lane"]>,
): Promise<InboxMessage[]> {
  const results = await Promise.all(messages.map((m) => client.markSurfaced({ ids: [m.id], lane })));
  return messages.filter((_, i) => (results[i]?.marked ?? 0) > 0);
}

/**
 * Drops the messages the model has already seen as channel messages (found in the session's transcript:
 * one attached mid-turn fires no UserPromptSubmit, so nothing else confirms it) and marks them surfaced
 * for the channel lane; resolves with the others, which a hook may still show.
 */
export async function withoutSeen(
  client: DaemonClient,
  transcriptPath: string | undefined,
  messages: readonly InboxMessage[],
): Promise<InboxMessage[]> {
  if (messages.length === 0) return [];
  const seen = channelIdsInTranscript(transcriptPath);
  const ids = messages.filter((m) => seen.has(m.id)).map((m) => m.id);
  if (ids.length > 0) await client.markSurfaced({ ids, lane: "channel" });
  return messages.filter((m) => !seen.has(m.id));
}

/**
 * The message ids of claudemesh channel messages a prompt consists of. Claude Code hands a channel message
 * to UserPromptSubmit as `<channel source="claudemesh" … message_id="…">…</channel>`; only opening tags at the
 * start of the prompt or right after a closing tag count, so peer text quoting a tag cannot mark another
 * message (Claude Code escapes `</channel` inside content).
 */
export function channelMessageIds(prompt: string | undefined): string[] {
  if (!prompt) return [];
  const ids: string[] = [];
  const tag = /(?:^|<\/channel>\s*)<channel source="claudemesh"([^>]*)>/g;
  for (const match of prompt.trimStart().matchAll(tag)) {
    const id = /\smessage_id="([^"]+)"/.exec(match[1] ?? "")?.[1];
    if (id) ids.push(unescapeAttribute(id));
  }
  return ids;
}
