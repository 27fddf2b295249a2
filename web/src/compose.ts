/**
 * What the compose boxes (messages, topic posts, scheduled messages) refuse before sending, as the CLI
 * does (`messageArg`): an empty text, or one longer than a message holds once encrypted. Nothing is cut.
 */
import { MAX_MESSAGE_TEXT_BYTES, MAX_MESSAGE_TEXT_KB } from "../../src/protocol/constants.js";

/** Why `text` cannot go as a message, or null. */
export function messageTextProblem(text: string): string | null {
  if (text.trim() === "") return "the message is empty: write something first";
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_MESSAGE_TEXT_BYTES)
    return `the message is too long (${Math.ceil(bytes / 1024)} KB of text); the limit is about ${MAX_MESSAGE_TEXT_KB} KB of text`;
  return null;
}
