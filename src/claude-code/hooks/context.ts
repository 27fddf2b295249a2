/**
 * Peer messages as the hooks put them in front of the model (prompt context on stdout, a wake-up on
 * stderr): each framed with its verified sender as untrusted peer text, oldest first (newest last), at
 * most {@link MAX_MESSAGES} messages or {@link MAX_BYTES} bytes, then a line saying how many more wait.
 */
import type { InboxMessage } from "../../daemon-api/contract.js";
import { countOf, headerLine, messageText, replyHint, untrustedNote } from "../peer-text.js";

export const MAX_MESSAGES = 20;
export const MAX_BYTES = 8 * 1024;
/** Room kept for the lines around the messages. */
const FRAME_RESERVE = 600;

const TAG = "peer_message";

/** The body between our tags; a body cannot close the tag early (Claude Code escapes its own tag alike). */
function fence(message: InboxMessage, text: string): string {
  const body = text.replace(new RegExp(`</(${TAG})`, "gi"), "<\\/$1");
  return `<${TAG} id="${message.id}">\n${body}\n</${TAG}>`;
}

function block(message: InboxMessage, text = messageText(message)): string {
  return `${headerLine(message)}\n${fence(message, text)}\n${replyHint(message)}`;
}

function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Cuts `text` to at most `max` UTF-8 bytes without splitting a character. */
function cut(text: string, max: number): string {
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= max) return text;
  return buf
    .subarray(0, max)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
}

export interface Selection {
  /** The messages to show, oldest first. */
  shown: InboxMessage[];
  /** Rendered blocks, one per shown message (the first may be truncated). */
  blocks: string[];
}

/** The oldest messages that fit the limits; one oversized message is shown truncated rather than not at all. */
export function selectForContext(unread: readonly InboxMessage[]): Selection {
  const shown: InboxMessage[] = [];
  const blocks: string[] = [];
  let used = FRAME_RESERVE;
  for (const message of unread) {
    if (shown.length >= MAX_MESSAGES) break;
    let rendered = block(message);
    if (used + bytes(rendered) > MAX_BYTES) {
      if (shown.length > 0) break;
      const room = MAX_BYTES - used - bytes(block(message, "")) - 200;
      const note = `\n[… truncated; the full text: \`claudemesh inbox --json\`, message id ${message.id}]`;
      rendered = block(message, cut(messageText(message), Math.max(0, room)) + note);
    }
    shown.push(message);
    blocks.push(rendered);
    used += bytes(rendered) + 2;
  }
  return { shown, blocks };
}

/** When the messages are shown: with a prompt, or waking the session (idle, or mid-turn: working). */
export type Moment = "prompt" | "idle" | "working";

const ARRIVED: Record<Moment, string> = {
  prompt: "arrived for this session",
  idle: "arrived while this session was idle",
  working: "arrived while this session was working",
};

/** The whole text for `shown` messages, with `more` still waiting afterwards. */
export function renderContext(blocks: readonly string[], more: number, moment: Moment): string {
  const count = countOf(blocks.length, "message");
  const how = ARRIVED[moment];
  const lines = [
    `[claudemesh] ${count} from peers ${how}. ${untrustedNote(blocks.length)}`,
    "",
    blocks.join("\n\n"),
  ];
  if (more > 0) {
    const wait = more === 1 ? "1 more message waits" : `${more} more messages wait`;
    lines.push("", `[claudemesh] ${wait}: run \`claudemesh inbox --unread\` to read them.`);
  }
  return lines.join("\n");
}
