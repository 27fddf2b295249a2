/**
 * Inbound messages as Claude Code channel notifications. Claude Code (2.1.3xx) drops a whole notification
 * when one meta value is not a string, and drops meta keys outside `^[a-zA-Z_][a-zA-Z0-9_]*$`; it shows
 * `meta.user` as the sender in the terminal and wraps `content` in `<channel source="claudemesh" …>`.
 */
import type { InboxMessage } from "../daemon-api/contract.js";
import {
  countOf,
  headerLine,
  messageText,
  oneLine,
  replyHint,
  untrustedNote,
} from "../claude-code/peer-text.js";

export const CHANNEL_METHOD = "notifications/claude/channel";
export const CHANNEL_CAPABILITY = "claude/channel";

export interface ChannelParams {
  [key: string]: unknown;
  content: string;
  meta: Record<string, string>;
}

const META_KEY = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Keeps only string values under valid keys; null/undefined/empty values are omitted, never sent. */
export function cleanMeta(fields: Record<string, string | null | undefined>): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!META_KEY.test(key) || typeof value !== "string" || value === "") continue;
    meta[key] = value;
  }
  return meta;
}

/** The notification for one message: the peer text framed with its verified sender. */
export function messageNotification(message: InboxMessage): ChannelParams {
  const content = [
    headerLine(message),
    messageText(message),
    "",
    `${replyHint(message)} ${untrustedNote()}`,
  ].join("\n");
  return {
    content,
    meta: cleanMeta({
      user: oneLine(message.from_name) || "peer",
      from_name: message.from_name,
      from_pubkey: message.from_pubkey,
      from_session_pubkey: message.from_session_pubkey,
      mesh_slug: message.mesh,
      priority: message.priority,
      message_id: message.id,
      topic: message.topic,
      reply_to_id: message.reply_to,
      sent_at: message.sent_at,
    }),
  };
}

/** `--message-mode inbox`: a short notice instead of the text. */
export function inboxNotice(count: number, meshes: readonly string[]): ChannelParams {
  const what = countOf(count, "new message");
  return {
    content:
      `[claudemesh] ${what} from peers wait in your inbox. ` +
      "Read them with the read_inbox tool (or `claudemesh inbox`) when it suits your task.",
    meta: cleanMeta({ user: "claudemesh", count: String(count), mesh_slug: meshes.join(",") }),
  };
}
