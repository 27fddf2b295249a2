/**
 * `claudemesh doctor`: checks the setup end to end and prints, for each problem, the command that fixes
 * it. Exit 0 when everything needed works, 1 otherwise (warnings alone do not fail).
 */
import { existsSync, readFileSync } from "node:fs";
import { claudeFiles } from "../../claude-code/files.js";
import { cliMissingAdvice, cliOnPath } from "../../claude-code/cli-on-path.js";
import { loadConfig, meshArg, meshBrokerUrls, type Config } from "../../host/config.js";
import type { HealthResponse } from "../../daemon-api/contract.js";
import { configDir, configFile, daemonDir, daemonFiles } from "../../host/paths.js";
import { fileMode, privacyProblem } from "../../host/secure-fs.js";
import type { Context } from "../command.js";
import { ExitCode } from "../errors.js";
import { describeLanes, type LaneReport } from "../../claude-code/lanes.js";
import { daemonHealth, isLoopbackUrl } from "../services.js";
import { livePidFromFile } from "../../daemon-api/lifecycle.js";

type Level = "ok" | "warn" | "fail";
interface Check {
  name: string;
  level: Level;
  detail: string;
  fix: string | null;
}

const SKEW_WARN_MS = 10_000;
const SKEW_FAIL_MS = 60_000;

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    // Missing or unreadable: treated as "not registered".
    return null;
  }
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The same rule the daemon applies at start and on every request (host/secure-fs.ts `privacyProblem`). */
function modeCheck(name: string, path: string, want: 0o700 | 0o600): Check {
  const mode = fileMode(path);
  if (mode === null) return { name, level: "ok", detail: `${path} (not created yet)`, fix: null };
  const problem = privacyProblem(path, want);
  if (problem === null) return { name, level: "ok", detail: `${path} is ${mode.toString(8)}`, fix: null };
  return { name, level: "fail", detail: problem.message, fix: problem.fix };
}

/**
 * What to do about a broker that does not answer: start it again (`up` does for its own broker on this
 * machine), or, when it is gone for good, leave the meshes on it without telling it.
 */
function unreachableFix(config: Config, url: string): string {
  const start = isLoopbackUrl(url)
    ? "start it again (`claudemesh up --detach` when it is the broker `up` runs here)"
    : "start it, or check the address and network";
  const leave = config.meshes
    .filter((m) => meshBrokerUrls(m).includes(url))
    .map((m) => `\`claudemesh leave ${meshArg(config.meshes, m)} --force -y\``)
    .join(", ");
  return leave === "" ? start : `${start}; if it is gone for good: ${leave}`;
}

async function brokerChecks(config: Config): Promise<Check[]> {
  const { health: brokerHealth } = await import("../../client/broker-http.js");
  // Every node of every mesh's broker: a cluster with one node down still works, but the user should know.
  const brokers = [...new Set(config.meshes.flatMap(meshBrokerUrls))];
  return Promise.all(
    brokers.map(async (url): Promise<Check> => {
      const name = `broker ${url}`;
      const sentAt = Date.now();
      try {
        const h = await brokerHealth(url, { timeoutMs: 3_000 });
        const now = Date.now();
        if (h.serverTime === undefined)
          return { name, level: "ok", detail: `reachable, version ${h.version}`, fix: null };
        const skew = h.serverTime - (sentAt + now) / 2;
        const detail = `reachable, version ${h.version}, clock skew ${Math.round(skew)} ms`;
        if (Math.abs(skew) > SKEW_FAIL_MS) {
          return {
            name,
            level: "fail",
            detail,
            fix: "sync this machine's clock (e.g. `sudo timedatectl set-ntp true`)",
          };
        }
        if (Math.abs(skew) > SKEW_WARN_MS) {
          return {
            name,
            level: "warn",
            detail,
            fix: "sync this machine's clock (e.g. `sudo timedatectl set-ntp true`)",
          };
        }
        return {
          name,
          level: h.db === "down" ? "warn" : "ok",
          detail: h.db === "down" ? `${detail}; its database is down` : detail,
          fix: null,
        };
      } catch (err) {
        return { name, level: "fail", detail: (err as Error).message, fix: unreachableFix(config, url) };
      }
    }),
  );
}

/** The daemon that does not answer: stopped (started on demand, so not a failure), or alive but stuck. */
function silentDaemonCheck(): Check {
  const pid = livePidFromFile();
  if (pid !== null) {
    return {
      name: "daemon",
      level: "fail",
      detail: `pid ${pid} (from ${daemonFiles.pid()}) is alive but does not answer on ${daemonFiles.socket()}`,
      fix: "claudemesh daemon down && claudemesh daemon up",
    };
  }
  return {
    name: "daemon",
    level: "warn",
    detail: "not running (the CLI and Claude Code start it when they need it)",
    fix: "claudemesh daemon up",
  };
}

function daemonChecks(config: Config, health: HealthResponse | null): Check[] {
  if (!health) {
    return [
      silentDaemonCheck(),
      // A daemon whose socket was loosened refuses every request: this says why.
      modeCheck("daemon socket", daemonFiles.socket(), 0o600),
    ];
  }
  const checks: Check[] = [
    {
      name: "daemon",
      level: "ok",
      detail: `running (pid ${health.pid}, ${health.sessions} sessions)`,
      fix: null,
    },
    modeCheck("daemon socket", daemonFiles.socket(), 0o600),
  ];
  for (const mesh of config.meshes) {
    const state = health.meshes.find((m) => m.mesh_id === mesh.mesh_id);
    checks.push(
      state?.connected
        ? { name: `mesh ${mesh.slug}`, level: "ok", detail: "daemon connected", fix: null }
        : {
            name: `mesh ${mesh.slug}`,
            level: "fail",
            detail: state
              ? `${state.state}${state.last_error ? `: ${state.last_error}` : ""}`
              : "unknown to the daemon",
            fix: state ? "claudemesh daemon logs" : "claudemesh daemon down && claudemesh daemon up",
          },
    );
  }
  return checks;
}

function cliCheck(env: NodeJS.ProcessEnv): Check {
  const found = cliOnPath(env);
  if (found !== null) return { name: "claudemesh on PATH", level: "ok", detail: found, fix: null };
  return { name: "claudemesh on PATH", level: "warn", ...cliMissingAdvice() };
}

function claudeChecks(env: NodeJS.ProcessEnv): Check[] {
  const claudeJson = readJson(claudeFiles.globalConfig(env));
  const mcp = field(claudeJson, "mcpServers", "claudemesh");
  return [
    cliCheck(env),
    mcp
      ? { name: "Claude Code MCP server", level: "ok", detail: "registered in ~/.claude.json", fix: null }
      : {
          name: "Claude Code MCP server",
          level: "warn",
          detail: "not registered",
          fix: "claudemesh install",
        },
  ];
}

/** One check per delivery lane (claude-code/lanes.ts says which are active and why). */
function laneChecks(lanes: LaneReport[]): Check[] {
  return lanes.map((lane) => ({
    name: `lane: ${lane.lane}`,
    level: lane.active && lane.warning === null ? "ok" : "warn",
    detail: `${lane.active ? "active" : "off"} — ${lane.detail}${lane.warning === null ? "" : `; warning: ${lane.warning}`}`,
    fix: lane.fix,
  }));
}

export async function doctor(ctx: Context): Promise<number> {
  const checks: Check[] = [];
  let config: Config | null = null;
  try {
    config = loadConfig();
    checks.push({ name: "config", level: "ok", detail: `${configFile()} is valid`, fix: null });
  } catch (err) {
    checks.push({
      name: "config",
      level: "fail",
      detail: (err as Error).message,
      fix: `fix or move away ${configFile()}`,
    });
  }
  checks.push(modeCheck("config dir", configDir(), 0o700));
  checks.push(modeCheck("daemon dir", daemonDir(), 0o700));
  if (existsSync(configFile())) checks.push(modeCheck("key file", configFile(), 0o600));
  if (config && config.meshes.length === 0) {
    checks.push({
      name: "meshes",
      level: "warn",
      detail: "none joined",
      fix: "claudemesh up (or claudemesh join <link>)",
    });
  }
  if (config) {
    const [health, brokers] = await Promise.all([daemonHealth(), brokerChecks(config)]);
    checks.push(...daemonChecks(config, health), ...brokers);
  }
  const lanes = await describeLanes(ctx.env);
  checks.push(...claudeChecks(ctx.env), ...laneChecks(lanes));
  const ok = checks.every((check) => check.level !== "fail");
  ctx.out.result({ ok, checks, lanes }, () => {
    const c = ctx.out.c;
    const mark = { ok: c.green("✓"), warn: c.yellow("!"), fail: c.red("✗") };
    for (const check of checks) {
      ctx.out.line(`${mark[check.level]} ${c.bold(check.name)}: ${check.detail}`);
      if (check.fix) ctx.out.line(`    fix: ${c.cyan(check.fix)}`);
    }
    ctx.out.line(
      ok ? c.green("\nall needed checks passed") : c.red("\nsome checks failed; run the fixes above"),
    );
  });
  return ok ? ExitCode.ok : ExitCode.failure;
}
