/**
 * JSON text as it arrives from outside (broker frames, HTTP bodies): parsed only when it nests no deeper
 * than {@link MAX_JSON_DEPTH}. `JSON.parse` itself copes with any depth, but what handles the value next
 * (serialising, canonicalising, validating) recurses and would overflow the stack on a value nested
 * 100,000 deep, turning bad input into an internal error.
 */

/** How deeply objects and arrays may nest in a JSON document we accept. */
export const MAX_JSON_DEPTH = 128;

/** A JSON document nested deeper than the limit; `code` is for the caller's error reply. */
export class JsonTooDeepError extends Error {
  override readonly name = "JsonTooDeepError";
  readonly code = "too_deep";
  constructor(readonly maxDepth: number) {
    super(`JSON is nested deeper than ${maxDepth} levels`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether `text` holds at most `limit` opening brackets in all (strings included): then it cannot nest
 * deeper than that. Native scans, so the common frame (a few brackets) costs no loop over its characters.
 */
function fewBrackets(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ["{", "["]) {
    for (let i = text.indexOf(bracket); i !== -1; i = text.indexOf(bracket, i + 1)) {
      count += 1;
      if (count > limit) return false;
    }
  }
  return true;
}

/** Whether `text` opens more than `maxDepth` objects or arrays inside each other (strings skipped). */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  if (fewBrackets(text, maxDepth)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i += 1;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) {
      inString = true;
    } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * `JSON.parse` for text from outside: throws {@link JsonTooDeepError} for a document nested deeper than
 * `maxDepth`, and `SyntaxError` for one that is not JSON.
 */
export function parseJsonText(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonNestsDeeperThan(text, maxDepth)) throw new JsonTooDeepError(maxDepth);
  return JSON.parse(text) as unknown;
}
