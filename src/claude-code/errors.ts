/**
 * An error of the Claude Code integration (install, launch) with what the user needs: a stable `code` and a
 * `hint` saying what to do. The CLI's error mapping reads both fields; callers check `code`, not the class.
 */
export class ClaudeCodeError extends Error {
  override readonly name = "ClaudeCodeError";
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}
