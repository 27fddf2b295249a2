/**
 * Which claudemesh channel messages the model has already seen, read from the session's transcript (the
 * JSONL file named by the hook input's `transcript_path`). A channel message Claude Code attaches mid-turn
 * fires no UserPromptSubmit, so nothing else confirms it; the transcript holds it as
 * `<channel source="claudemesh" … message_id="<id>" …>` (attribute values XML-escaped, the whole text
 * JSON-escaped in the file). Only the tail is read: a mid-turn message is recent by definition.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** How much of the transcript's end is read. */
export const TRANSCRIPT_TAIL_BYTES = 256 * 1024;

/** The opening tag of a claudemesh channel message, quotes bare or JSON-escaped (`\"`). */
const OPENING_TAG = /<channel source=\\?"claudemesh\\?"[^>]*>/g;
const MESSAGE_ID = /\smessage_id="([^"]*)"/;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** An XML attribute value as written (`Bob &quot;B&quot;`) → its text (`Bob "B"`). */
export function unescapeAttribute(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-f]+));/gi, (entity, name: string, dec, hex) => {
    if (typeof dec === "string") return String.fromCodePoint(Number(dec));
    if (typeof hex === "string") return String.fromCodePoint(parseInt(hex, 16));
    return ENTITIES[name.toLowerCase()] ?? entity;
  });
}

/** The `message_id` of one opening tag as found in the file (JSON-escaped inside a JSON string). */
function tagMessageId(tag: string): string | null {
  let text = tag;
  if (tag.includes('\\"')) {
    try {
      text = JSON.parse(`"${tag}"`) as string;
    } catch {
      // Cut by the tail's start or not JSON after all: read it as it is.
      text = tag.replace(/\\"/g, '"');
    }
  }
  const id = MESSAGE_ID.exec(text)?.[1];
  return id ? unescapeAttribute(id) : null;
}

/** The last `bytes` of a file as UTF-8 (a character cut at the start is dropped), or "" when unreadable. */
function readTail(path: string, bytes: number): string {
  let fd: number | null = null;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, size - length);
    return buffer.subarray(0, read).toString("utf8");
  } catch {
    // No transcript (yet), or not readable: nothing is known to be seen.
    return "";
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The ids of the claudemesh channel messages in the transcript's tail; empty when there is no transcript. */
export function channelIdsInTranscript(
  path: string | undefined,
  tailBytes = TRANSCRIPT_TAIL_BYTES,
): Set<string> {
  const ids = new Set<string>();
  if (!path) return ids;
  for (const match of readTail(path, tailBytes).matchAll(OPENING_TAG)) {
    const id = tagMessageId(match[0]);
    if (id) ids.add(id);
  }
  return ids;
}
