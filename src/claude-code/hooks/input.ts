/**
 * What Claude Code sends a hook on stdin (UserPromptSubmit: `{session_id, transcript_path, cwd,
 * permission_mode, hook_event_name, prompt}`; Stop: `{…, stop_hook_active, last_assistant_message}`).
 * Read with a deadline, validated loosely (by hand: a hook must start fast, so no schema library): a hook
 * must never hang or fail on odd input.
 */

/** The fields the hooks use; others are kept as they came. */
export interface HookInput {
  [key: string]: unknown;
  session_id?: string;
  transcript_path?: string;
  cwd?: string;
  hook_event_name?: string;
  prompt?: string;
}

const STRING_FIELDS = ["session_id", "transcript_path", "cwd", "hook_event_name", "prompt"] as const;

/** The object as a {@link HookInput}, or null when it is not an object or a known field is not a string. */
export function toHookInput(value: unknown): HookInput | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const input: HookInput = { ...value };
  for (const field of STRING_FIELDS) {
    if (field in input && typeof input[field] !== "string") return null;
  }
  return input;
}

/** The stdin text, or null when it did not end within `timeoutMs` (or is a terminal). */
export function readAll(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  timeoutMs: number,
): Promise<string | null> {
  if (stdin.isTTY) return Promise.resolve(null);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (value: string | null): void => {
      clearTimeout(timer);
      stdin.removeListener("data", onData);
      stdin.removeListener("end", onEnd);
      stdin.removeListener("error", onError);
      stdin.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    };
    const onEnd = (): void => done(Buffer.concat(chunks).toString("utf8"));
    const onError = (): void => done(null);
    const timer = setTimeout(() => done(null), timeoutMs);
    timer.unref();
    stdin.on("data", onData);
    stdin.once("end", onEnd);
    stdin.once("error", onError);
  });
}

/** The parsed hook input, or null when stdin is missing, late or not the JSON object Claude Code sends. */
export async function readHookInput(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  timeoutMs: number,
): Promise<HookInput | null> {
  const text = await readAll(stdin, timeoutMs);
  if (text === null || text.trim() === "") return null;
  try {
    return toHookInput(JSON.parse(text));
  } catch {
    // Not JSON: the hook does nothing.
    return null;
  }
}
