/**
 * Runs `claude` in the foreground with the terminal inherited, passes signals on, and reports how it
 * ended. Ctrl-C from a terminal already reaches `claude` (same process group), so SIGINT is only forwarded
 * when it did not come from one; SIGTERM, SIGHUP and SIGQUIT are always forwarded.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { ClaudeCodeError } from "../errors.js";

export interface ClaudeRun {
  bin: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether stdin is a terminal (then Ctrl-C reaches claude directly). */
  interactive: boolean;
  /**
   * After a forwarded SIGTERM/SIGHUP, SIGKILL if claude is still running this much later.
   * @default 10000
   */
  killAfterMs?: number;
}

export interface ClaudeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/** The shell's convention: the exit code, or 128 + the signal number. */
export function exitStatus(exit: ClaudeExit): number {
  if (exit.code !== null) return exit.code;
  const number = exit.signal ? constants.signals[exit.signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

export function runClaude(run: ClaudeRun): Promise<ClaudeExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(run.bin, run.args, { stdio: "inherit", env: run.env, cwd: run.cwd });
    let killTimer: NodeJS.Timeout | null = null;
    const forward = (signal: NodeJS.Signals): void => {
      if (signal === "SIGINT" && run.interactive) return;
      child.kill(signal);
      if (signal !== "SIGINT" && killTimer === null) {
        killTimer = setTimeout(() => child.kill("SIGKILL"), run.killAfterMs ?? 10_000);
        killTimer.unref();
      }
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    const cleanup = (): void => {
      for (const signal of FORWARDED) process.removeListener(signal, forward);
      if (killTimer !== null) clearTimeout(killTimer);
    };
    child.once("error", (err: NodeJS.ErrnoException) => {
      cleanup();
      if (err.code === "ENOENT") {
        reject(
          new ClaudeCodeError(
            "claude_not_found",
            `cannot run \`${run.bin}\`: not found`,
            "install Claude Code (npm install -g @anthropic-ai/claude-code) or set CLAUDEMESH_CLAUDE_BIN to its path",
          ),
        );
      } else {
        reject(
          new ClaudeCodeError(
            "claude_failed",
            `cannot run \`${run.bin}\`: ${err.message}`,
            "check CLAUDEMESH_CLAUDE_BIN",
          ),
        );
      }
    });
    child.once("exit", (code, signal) => {
      cleanup();
      resolve({ code, signal });
    });
  });
}
