/**
 * The session token file `launch` writes (0600) and names in `CLAUDEMESH_IPC_TOKEN_FILE`. It sits under the
 * daemon dir, named by the Claude session id, so a hook that did not inherit the variable can still find
 * its session from the `session_id` of its JSON input.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { daemonDir } from "../host/paths.js";
import { writeSecretFile } from "../host/secure-fs.js";

/** Claude session ids are UUIDs; anything that could leave the directory is refused. */
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function isSessionId(value: string): boolean {
  return SESSION_ID.test(value);
}

/** `<daemon dir>/session-tokens/<claude session id>.token`, or null for an id that is not a plain name. */
export function sessionTokenPath(claudeSessionId: string): string | null {
  if (!isSessionId(claudeSessionId)) return null;
  return join(daemonDir(), "session-tokens", `${claudeSessionId}.token`);
}

/** Writes the token (0600, atomically) and returns the file's path. */
export function writeSessionToken(claudeSessionId: string, token: string): string {
  const path = sessionTokenPath(claudeSessionId);
  if (path === null) throw new Error(`"${claudeSessionId}" is not a usable session id`);
  writeSecretFile(path, `${token}\n`);
  return path;
}

/** The token of a launched Claude session, or null. */
export function readSessionToken(claudeSessionId: string): string | null {
  const path = sessionTokenPath(claudeSessionId);
  if (path === null) return null;
  try {
    const token = readFileSync(path, "utf8").trim();
    return token === "" ? null : token;
  } catch {
    // No file: the session was not launched (ambient) or has ended.
    return null;
  }
}

export function removeSessionToken(path: string): void {
  rmSync(path, { force: true });
}
