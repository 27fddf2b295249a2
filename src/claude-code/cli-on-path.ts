/**
 * Whether `claudemesh` runs as a bare command. The skill, the `Bash(claudemesh:*)` permission and every
 * peer message's reply hint tell the agent to run `claudemesh …`; hooks and the MCP server use absolute
 * paths and work without it, so only this check tells a user who ran `npx claudemesh` that the agent's
 * commands will fail.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { cliBinPath } from "../daemon-api/lifecycle.js";
import { shellWord } from "./files.js";

const NAMES = process.platform === "win32" ? ["claudemesh.cmd", "claudemesh.exe"] : ["claudemesh"];

/** The `claudemesh` executable a shell with this environment runs, or null when there is none. */
export function cliOnPath(env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    for (const name of NAMES) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // Not here.
      }
    }
  }
  return null;
}

/** What to tell a user whose PATH has no `claudemesh`, and the command that fixes it. */
export function cliMissingAdvice(binPath = cliBinPath()): { detail: string; fix: string } {
  return {
    detail:
      "`claudemesh` is not on PATH: agents following the skill (and peer messages' reply hints) run `claudemesh …`, which will fail",
    fix: `cd ${shellWord(dirname(dirname(binPath)))} && npm link`,
  };
}
