/**
 * Where Claude Code keeps its files, and how claudemesh's entries in them are recognised. Shared by the
 * `install`/`uninstall`/`launch`/`doctor` verbs, the hooks and the MCP server (which only reads).
 * Facts read from Claude Code 2.1.3xx: the global config is `$CLAUDE_CONFIG_DIR/.claude.json` or
 * `~/.claude.json`; settings, skills and transcripts live in `$CLAUDE_CONFIG_DIR` or `~/.claude`.
 */
import { readFileSync } from "node:fs";
import { userHome } from "../host/paths.js";
import { join } from "node:path";

/** The MCP server name (also the `server:<name>` of `--dangerously-load-development-channels`). */
export const MCP_SERVER_NAME = "claudemesh";
/** The permission `install` adds so the model may run the CLI without asking. */
export const BASH_PERMISSION = "Bash(claudemesh:*)";
export const CHANNEL_FLAG = "--dangerously-load-development-channels";
/** The timeout (seconds) our quick hooks (prompt, idle) are installed with; Claude Code kills them past it. */
export const QUICK_HOOK_TIMEOUT_S = 5;
export const CHANNEL_FLAG_VALUE = `server:${MCP_SERVER_NAME}`;

export type HookVerb = "prompt" | "idle" | "wait" | "working";

function configRoot(env: NodeJS.ProcessEnv): string | undefined {
  const dir = env.CLAUDE_CONFIG_DIR?.trim();
  return dir ? dir : undefined;
}

export const claudeFiles = {
  /** `~/.claude.json`: the global config holding `mcpServers`. */
  globalConfig: (env: NodeJS.ProcessEnv = process.env): string =>
    join(configRoot(env) ?? userHome(env), ".claude.json"),
  /** `~/.claude`. */
  dir: (env: NodeJS.ProcessEnv = process.env): string => configRoot(env) ?? join(userHome(env), ".claude"),
  settings: (env: NodeJS.ProcessEnv = process.env): string => join(claudeFiles.dir(env), "settings.json"),
  skill: (env: NodeJS.ProcessEnv = process.env): string =>
    join(claudeFiles.dir(env), "skills", MCP_SERVER_NAME, "SKILL.md"),
  projects: (env: NodeJS.ProcessEnv = process.env): string => join(claudeFiles.dir(env), "projects"),
};

/** Claude Code's string hash for long project paths (Java's `hashCode`). */
function javaHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i += 1) hash = ((hash << 5) - hash + text.charCodeAt(i)) | 0;
  return hash;
}

const MAX_PROJECT_DIR = 200;

/** The directory name Claude Code gives a working directory under `~/.claude/projects/`. */
export function encodeProjectDir(cwd: string): string {
  const name = cwd.replace(/[^a-zA-Z0-9]/g, "-");
  if (name.length <= MAX_PROJECT_DIR) return name;
  return `${name.slice(0, MAX_PROJECT_DIR)}-${Math.abs(javaHash(cwd)).toString(36)}`;
}

/** Quotes a word for `sh -c` only when it needs it. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The absolute command Claude Code runs for claudemesh: `<node> <bin/claudemesh.js>`. */
export function claudemeshCommand(nodePath: string, binPath: string): string {
  return `${shellWord(nodePath)} ${shellWord(binPath)}`;
}

/**
 * Whether a hook command is one of ours: `<cm> hook <verb>` for this install's `<cm>`, or for any
 * claudemesh install (a moved package leaves entries whose prefix differs; they are still ours).
 */
export function ourHookVerb(command: string, cm?: string): HookVerb | null {
  const match = /^(.*) hook (prompt|idle|wait|working)$/.exec(command.trim());
  if (!match || match[1] === undefined) return null;
  const prefix = match[1];
  if (prefix === cm || /claudemesh(\.js)?'?$/.test(prefix)) return match[2] as HookVerb;
  return null;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON object file, or `{}` when missing; throws with the path when it is not a JSON object. */
export function readJsonObject(path: string): { doc: JsonObject; raw: string | null } {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { doc: {}, raw: null };
    throw err;
  }
  if (raw.trim() === "") return { doc: {}, raw };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw Object.assign(new Error(`${path} is not valid JSON (${(err as Error).message})`), {
      code: "claude_config_invalid",
      hint: `fix or move ${path}, then run the command again`,
    });
  }
  if (!isObject(parsed)) {
    throw Object.assign(new Error(`${path} does not hold a JSON object`), {
      code: "claude_config_invalid",
      hint: `fix or move ${path}, then run the command again`,
    });
  }
  return { doc: parsed, raw };
}

/** The hook verbs of ours found in a settings document, by event. */
/** Our hooks found in settings: their verbs, and `session-start` for the waiter started with a session. */
export type InstalledHook = HookVerb | "session-start";

export function installedHookVerbs(settings: JsonObject): Set<InstalledHook> {
  const found = new Set<InstalledHook>();
  const hooks = settings.hooks;
  if (!isObject(hooks)) return found;
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) continue;
    for (const group of groups) {
      if (!isObject(group) || !Array.isArray(group.hooks)) continue;
      for (const hook of group.hooks) {
        if (!isObject(hook) || typeof hook.command !== "string") continue;
        const verb = ourHookVerb(hook.command);
        if (verb) found.add(event === "SessionStart" && verb === "wait" ? "session-start" : verb);
      }
    }
  }
  return found;
}

/**
 * Whether the prompt hook is installed (the channel lane's confirmation). Never throws: an unreadable
 * settings file counts as "not installed".
 */
export function promptHookInstalled(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    return installedHookVerbs(readJsonObject(claudeFiles.settings(env)).doc).has("prompt");
  } catch {
    // Unreadable settings: Claude Code cannot run our hooks from it either.
    return false;
  }
}
