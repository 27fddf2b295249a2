/**
 * What Claude Code sends a hook on stdin (UserPromptSubmit: `{session_id, transcript_path, cwd,
 * permission_mode, hook_event_name, prompt}`; Stop: `{…, stop_hook_active, last_assistant_message}`).
 * Read with a deadline, validated loosely: a hook must never hang or fail on odd input.
 */
import { z } from "zod";

export const HookInput = z
  .object({
    session_id: z.string().optional(),
    transcript_path: z.string().optional(),
    cwd: z.string().optional(),
    hook_event_name: z.string().optional(),
    prompt: z.string().optional(),
  })
  .loose();
export type HookInput = z.infer<typeof HookInput>;

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
    const parsed = HookInput.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    // Not JSON: the hook does nothing.
    return null;
  }
}
