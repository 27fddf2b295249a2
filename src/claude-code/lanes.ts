/**
 * Which delivery lanes (cli.md "Delivery lanes into a Claude Code session") are active for this setup, and
 * why: the channel (confirmed only once the model has actually seen a channel message — Claude Code may
 * load the MCP server and still ignore its pushes), the hooks (installed in ~/.claude/settings.json, with a
 * warning when recent runs came close to Claude Code's timeout), and the inbox (always). `doctor` prints
 * this.
 */
import { existsSync } from "node:fs";
import {
  MCP_SERVER_NAME,
  QUICK_HOOK_TIMEOUT_S,
  claudeFiles,
  installedHookVerbs,
  isObject,
  ourHookVerb,
  readJsonObject,
  type InstalledHook,
} from "./files.js";
import type { LaneActivity, SessionInfo } from "../daemon-api/contract.js";
import { DaemonClient } from "../daemon-api/client.js";
import { countOf } from "./peer-text.js";
import { recentHookRuns, type HookRun } from "./hooks/run-log.js";

export interface LaneReport {
  lane: "channel" | "hooks" | "inbox";
  active: boolean;
  detail: string;
  /** The command that turns it on, when it is off and can be. */
  fix: string | null;
  /** Something to look at although the lane is on (slow hook runs). */
  warning: string | null;
}

const HOOK_TIMEOUT_MS = QUICK_HOOK_TIMEOUT_S * 1_000;
/** A run longer than this came close to the timeout. */
const SLOW_HOOK_MS = HOOK_TIMEOUT_MS * 0.6;
/** How many of the latest runs are looked at. */
const RECENT_RUNS = 20;

export interface LaneInputs {
  mcpRegistered: boolean;
  hooks: Set<InstalledHook>;
  /** Hook commands whose claudemesh script no longer exists (a moved or removed install). */
  brokenHooks: string[];
  daemonRunning: boolean;
  /** Launched sessions the daemon knows (empty when it is not running). */
  sessions: SessionInfo[];
  /** Whether the caller itself runs inside a launched session. */
  insideLaunch: boolean;
  /** Channel confirmations, from the daemon (null when it is not running). */
  activity: LaneActivity | null;
  /** The latest hook runs, oldest first. */
  hookRuns: HookRun[];
}

/** A warning about recent quick-hook runs that came close to (or ran out of) their time, or null. */
export function slowHookWarning(runs: readonly HookRun[]): string | null {
  const recent = runs.filter((r) => r.hook !== "wait").slice(-RECENT_RUNS);
  const slow = recent.filter((r) => r.ms > SLOW_HOOK_MS || r.outcome === "out_of_time");
  if (slow.length === 0) return null;
  const worst = Math.max(...slow.map((r) => r.ms));
  return (
    `${slow.length} of the last ${recent.length} hook runs came close to Claude Code's ${HOOK_TIMEOUT_MS / 1000} s ` +
    `timeout (slowest ${(worst / 1000).toFixed(1)} s): the machine is busy; messages still arrive, on the next lane`
  );
}

const REQUIRED_HOOKS: InstalledHook[] = ["prompt", "idle", "wait", "session-start"];

/** Pure: the lanes for a given setup. */
export function lanesFor(inputs: LaneInputs): LaneReport[] {
  // `!== false`: a daemon older than this CLI may not send the field; its sessions all came from `launch`.
  const launched = inputs.sessions.filter((s) => s.channel_flag !== false).length;
  const daemonNote = inputs.daemonRunning ? "" : "; the daemon is not running (it starts on demand)";
  const confirmedAt = inputs.activity?.channel_confirmed_at ?? null;
  const loaded = launched > 0 || inputs.insideLaunch;
  const count = Math.max(launched, 1);
  const where = loaded
    ? `${countOf(count, "session")} started with \`claudemesh launch\` load${count === 1 ? "s" : ""} the channel`
    : "only sessions started with `claudemesh launch` load the channel (none running); plain `claude` does not";
  const channel: LaneReport = {
    lane: "channel",
    active: confirmedAt !== null,
    detail:
      (confirmedAt !== null
        ? `confirmed: the model last saw a channel message at ${confirmedAt}; ${where}`
        : `not confirmed yet: no channel message has been seen by the model; ${where}`) +
      (inputs.mcpRegistered ? "" : "; the MCP server is not registered, so `launch` adds it per session") +
      ". Claude Code ignores channel pushes unless channels are enabled for the account (Anthropic API, not Bedrock or Vertex) — the hooks cover that case",
    fix: loaded || confirmedAt !== null ? null : "claudemesh launch",
    warning: null,
  };
  const missing = REQUIRED_HOOKS.filter((verb) => !inputs.hooks.has(verb));
  const hooksOk = missing.length === 0 && inputs.brokenHooks.length === 0;
  const hooks: LaneReport = {
    lane: "hooks",
    active: hooksOk && inputs.daemonRunning,
    detail: hooksOk
      ? `installed (prompt, idle, wait, session-start) in ~/.claude/settings.json: every session, any provider${daemonNote}`
      : missing.length === REQUIRED_HOOKS.length
        ? "not installed: messages reach a session only by channel or inbox"
        : inputs.brokenHooks.length > 0
          ? `installed, but pointing at a missing script: ${inputs.brokenHooks.join("; ")}`
          : `partly installed (missing: ${missing.join(", ")})`,
    fix: hooksOk ? (inputs.daemonRunning ? null : "claudemesh daemon up") : "claudemesh install",
    warning: hooksOk ? slowHookWarning(inputs.hookRuns) : null,
  };
  const inbox: LaneReport = {
    lane: "inbox",
    active: true,
    detail: "always: `claudemesh inbox` and the read_inbox tool" + daemonNote,
    fix: null,
    warning: null,
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
  let activity: LaneActivity | null = null;
  let daemonRunning = false;
  try {
    const client = new DaemonClient({ token: null, timeoutMs: 2_000 });
    [{ sessions }, activity] = await Promise.all([
      client.call("sessions", {}),
      client.call("laneActivity", {}),
    ]);
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
    activity,
    hookRuns: recentHookRuns(),
  });
}
