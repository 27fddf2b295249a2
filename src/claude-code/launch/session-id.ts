/**
 * Which Claude session a launch is: a new UUID passed as `--session-id`, the id given to `--resume`, or —
 * for `--continue` — the newest transcript under `~/.claude/projects/<cwd as Claude encodes it>/` (then
 * passed as `--resume <id>`, so Claude Code opens exactly the conversation the mesh identity belongs to).
 */
import { randomUUID } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { claudeFiles, encodeProjectDir } from "../files.js";

export interface SessionChoice {
  /** The Claude session id the mesh session is registered under. */
  sessionId: string;
  /** The arguments for `claude`, with the session chosen. */
  args: string[];
  /** Something the user should know about the choice. */
  note: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The value of `--name value` / `--name=value` / `-n value`, with where it sits; `value` null when absent. */
function findOption(
  args: readonly string[],
  names: readonly string[],
): { index: number; length: number; value: string | null } | null {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? "";
    if (arg === "--") return null;
    for (const name of names) {
      if (arg === name) {
        const next = args[i + 1];
        const value = next !== undefined && !next.startsWith("-") ? next : null;
        return { index: i, length: value === null ? 1 : 2, value };
      }
      if (name.startsWith("--") && arg.startsWith(`${name}=`)) {
        return { index: i, length: 1, value: arg.slice(name.length + 1) };
      }
    }
  }
  return null;
}

function hasFlag(args: readonly string[], names: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) => names.includes(a));
}

/** The id of the newest conversation Claude Code keeps for `cwd`, or null. */
export function newestTranscript(cwd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = join(claudeFiles.projects(env), encodeProjectDir(cwd));
  let best: { id: string; mtime: number } | null = null;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    // No conversations in this directory yet.
    return null;
  }
  for (const name of names) {
    if (!name.endsWith(".jsonl")) continue;
    const id = name.slice(0, -".jsonl".length);
    if (!UUID.test(id)) continue;
    try {
      const mtime = statSync(join(dir, name)).mtimeMs;
      if (best === null || mtime > best.mtime) best = { id, mtime };
    } catch {
      // Removed while listing: skip it.
    }
  }
  return best?.id ?? null;
}

export function chooseSession(
  rest: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  newId: () => string = randomUUID,
): SessionChoice {
  const args = [...rest];
  const given = findOption(args, ["--session-id"]);
  if (given?.value) return { sessionId: given.value, args, note: null };

  const resume = findOption(args, ["--resume", "-r"]);
  const fork = hasFlag(args, ["--fork-session"]);
  if (resume !== null) {
    if (fork) {
      // A fork is a new conversation: Claude Code takes --session-id for it alongside --resume.
      const id = newId();
      return { sessionId: id, args: ["--session-id", id, ...args], note: null };
    }
    if (resume.value !== null && UUID.test(resume.value))
      return { sessionId: resume.value, args, note: null };
    return {
      sessionId: newId(),
      args,
      note:
        "the conversation is picked in Claude Code, so this launch gets a new mesh identity; " +
        "pass `--resume <session id>` to keep the one it had",
    };
  }

  const cont = findOption(args, ["--continue", "-c"]);
  if (cont !== null) {
    const id = newestTranscript(cwd, env);
    args.splice(cont.index, 1);
    if (id !== null) return { sessionId: id, args: ["--resume", id, ...args], note: null };
    const fresh = newId();
    return {
      sessionId: fresh,
      args: ["--session-id", fresh, ...args],
      note: "no earlier conversation in this directory; starting a new one",
    };
  }

  const id = newId();
  return { sessionId: id, args: ["--session-id", id, ...args], note: null };
}
