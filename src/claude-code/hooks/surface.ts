/**
 * The surfaced mark from the hooks' side, at-least-once: a lane reserves the messages it is about to show
 * (only what it reserved may be shown, so two lanes racing do not both show one message), hands the text
 * to Claude Code, and only then marks them surfaced. A lane that runs out of time before it showed anything
 * marks nothing; its reservation lapses and the next lane shows the message.
 */
import type { InboxMessage, InboxResponse, SURFACED_LANES } from "../../daemon-api/contract.js";
import type { DaemonClient } from "../../daemon-api/client.js";
import type { HookTarget } from "./target.js";
import { channelIdsInTranscript, unescapeAttribute } from "./transcript.js";

/**
 * The unsurfaced messages a hook may show, oldest first (the daemon's `lane` scope: a launched session's
 * own messages, and its member's since it registered; in ambient mode member-level ones only — never a
 * message addressed to a session).
 */
export function unread(target: HookTarget): Promise<InboxResponse> {
  return target.client.call("inbox", { unread: true, limit: 200, scope: "lane" });
}

/** Reserves `messages` for showing; resolves with the ones this lane may show. */
export async function reserve(
  client: DaemonClient,
  messages: readonly InboxMessage[],
  ttlMs?: number,
): Promise<InboxMessage[]> {
  if (messages.length === 0) return [];
  const ttl = ttlMs === undefined ? undefined : Math.max(1, Math.round(ttlMs));
  const { reserved } = await client.call("reserve", { ids: messages.map((m) => m.id), ttl_ms: ttl });
  const taken = new Set(reserved);
  return messages.filter((m) => taken.has(m.id));
}

/** Marks messages that were just shown surfaced for `lane`. */
export async function confirmShown(
  client: DaemonClient,
  ids: readonly string[],
  lane: (typeof SURFACED_LANES)[number],
): Promise<void> {
  if (ids.length > 0) await client.call("markSurfaced", { ids: [...ids], lane });
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
  if (ids.length > 0) await client.call("markSurfaced", { ids, lane: "channel" });
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
