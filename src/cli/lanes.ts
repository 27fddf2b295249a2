/**
 * Which delivery lanes (cli.md "Delivery lanes into a Claude Code session") are active for this setup, and
 * why: the channel (sessions started with `launch`, which passes the development-channels flag), the hooks
 * (installed in ~/.claude/settings.json), and the inbox (always). `doctor` prints this.
 */
import { existsSync } from "node:fs";
import {
  MCP_SERVER_NAME,
  claudeFiles,
  installedHookVerbs,
  isObject,
  ourHookVerb,
  readJsonObject,
  type HookVerb,
} from "../local/claude-code.js";
import type { SessionInfo } from "../local/daemon-api.js";
import { DaemonClient } from "../local/daemon-client.js";

export interface LaneReport {
  lane: "channel" | "hooks" | "inbox";
  active: boolean;
  detail: string;
  /** The command that turns it on, when it is off and can be. */
  fix: string | null;
}

export interface LaneInputs {
  mcpRegistered: boolean;
  hooks: Set<HookVerb>;
  /** Hook commands whose claudemesh script no longer exists (a moved or removed install). */
  brokenHooks: string[];
  daemonRunning: boolean;
  /** Launched sessions the daemon knows (empty when it is not running). */
  sessions: SessionInfo[];
  /** Whether the caller itself runs inside a launched session. */
  insideLaunch: boolean;
}

const REQUIRED_HOOKS: HookVerb[] = ["prompt", "idle", "wait"];

/** Pure: the lanes for a given setup. */
export function lanesFor(inputs: LaneInputs): LaneReport[] {
  // `!== false`: a daemon older than this CLI may not send the field; its sessions all came from `launch`.
  const launched = inputs.sessions.filter((s) => s.channel_flag !== false).length;
  const daemonNote = inputs.daemonRunning ? "" : "; the daemon is not running (it starts on demand)";
  const channel: LaneReport = {
    lane: "channel",
    active: launched > 0 || inputs.insideLaunch,
    detail:
      (launched > 0
        ? `${launched} session${launched === 1 ? "" : "s"} started with \`claudemesh launch\` (development-channels flag passed)`
        : "only for sessions started with `claudemesh launch` (none running); plain `claude` loads no channel") +
      (inputs.mcpRegistered ? "" : "; the MCP server is not registered, so `launch` adds it per session") +
      ". Claude Code ignores channel pushes unless channels are enabled for the account (Anthropic API, not Bedrock or Vertex) — the hooks cover that case",
    fix: launched > 0 || inputs.insideLaunch ? null : "claudemesh launch",
  };
  const missing = REQUIRED_HOOKS.filter((verb) => !inputs.hooks.has(verb));
  const hooksOk = missing.length === 0 && inputs.brokenHooks.length === 0;
  const hooks: LaneReport = {
    lane: "hooks",
    active: hooksOk && inputs.daemonRunning,
    detail: hooksOk
      ? `installed (prompt, idle, wait) in ~/.claude/settings.json: every session, any provider${daemonNote}`
      : missing.length === REQUIRED_HOOKS.length
        ? "not installed: messages reach a session only by channel or inbox"
        : inputs.brokenHooks.length > 0
          ? `installed, but pointing at a missing script: ${inputs.brokenHooks.join("; ")}`
          : `partly installed (missing: ${missing.join(", ")})`,
    fix: hooksOk ? (inputs.daemonRunning ? null : "claudemesh daemon up") : "claudemesh install",
  };
  const inbox: LaneReport = {
    lane: "inbox",
    active: true,
    detail: "always: `claudemesh inbox` and the read_inbox tool" + daemonNote,
    fix: null,
  };
  return [channel, hooks, inbox];
}

/** The absolute script paths in our hook commands that no longer exist. */
function brokenHookScripts(settings: Record<string, unknown>): string[] {
  const broken = new Set<string>();
  const hooks = settings.hooks;
  if (!isObject(hooks)) return [];
  for (const groups of Object.values(hooks)) {
    if (!Array.isArray(groups)) continue;
    for (const group of groups) {
      if (!isObject(group) || !Array.isArray(group.hooks)) continue;
      for (const hook of group.hooks) {
        if (!isObject(hook) || typeof hook.command !== "string" || ourHookVerb(hook.command) === null)
          continue;
        const script = /(\S*claudemesh(?:\.js)?)'? hook /.exec(hook.command)?.[1]?.replace(/^'/, "");
        if (script?.startsWith("/") && !existsSync(script)) broken.add(script);
      }
    }
  }
  return [...broken];
}

function readOrEmpty(path: string): Record<string, unknown> {
  try {
    return readJsonObject(path).doc;
  } catch {
    // An unreadable file counts as holding nothing of ours; doctor's other checks name the file.
    return {};
  }
}

/** Reads the setup (Claude Code files, daemon) and reports the lanes. Never throws. */
export async function describeLanes(env: NodeJS.ProcessEnv = process.env): Promise<LaneReport[]> {
  const claudeJson = readOrEmpty(claudeFiles.globalConfig(env));
  const settings = readOrEmpty(claudeFiles.settings(env));
  const servers = claudeJson.mcpServers;
  let sessions: SessionInfo[] = [];
  let daemonRunning = false;
  try {
    sessions = (await new DaemonClient({ token: null, timeoutMs: 2_000 }).sessions()).sessions;
    daemonRunning = true;
  } catch {
    // Not running or not answering: reported as not running.
  }
  return lanesFor({
    mcpRegistered: isObject(servers) && servers[MCP_SERVER_NAME] !== undefined,
    hooks: installedHookVerbs(settings),
    brokenHooks: brokenHookScripts(settings),
    daemonRunning,
    sessions,
    insideLaunch: Boolean(env.CLAUDEMESH_IPC_TOKEN_FILE),
  });
}
