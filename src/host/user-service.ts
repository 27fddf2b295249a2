/**
 * The daemon as a user service: a systemd --user unit on Linux, a launchd agent on macOS. Skipped, with
 * the reason, where the platform has no user service manager running (containers, WSL without systemd).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { userHome } from "./paths.js";
import { join } from "node:path";
import { writeSecretFile } from "./secure-fs.js";

export const SYSTEMD_UNIT = "claudemesh-daemon.service";
export const LAUNCHD_LABEL = "dev.claudemesh.daemon";

export interface ServiceResult {
  /** `installed`, `unchanged`, `removed`, `absent` or `skipped`. */
  state: "installed" | "unchanged" | "removed" | "absent" | "skipped";
  /** The unit or plist file, when there is one. */
  file: string | null;
  /** Why it was skipped, or what was done. */
  note: string;
}

/** Environment the service needs to find the same config as this CLI. */
function serviceEnv(env: NodeJS.ProcessEnv): Array<[string, string]> {
  return (["CLAUDEMESH_CONFIG_DIR", "CLAUDEMESH_DAEMON_DIR"] as const).flatMap(
    (name): Array<[string, string]> => {
      const value = env[name];
      return value ? [[name, value]] : [];
    },
  );
}

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() || (result.error?.message ?? "");
  return { ok: result.status === 0, output };
}

function systemdUnitPath(env: NodeJS.ProcessEnv): string {
  const config = env.XDG_CONFIG_HOME?.trim() || join(userHome(env), ".config");
  return join(config, "systemd", "user", SYSTEMD_UNIT);
}

function launchdPlistPath(env: NodeJS.ProcessEnv): string {
  return join(userHome(env), "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`);
}

function systemdUnit(node: string, bin: string, env: NodeJS.ProcessEnv): string {
  const quote = (s: string): string => (/[\s"\\]/.test(s) ? `"${s.replace(/(["\\])/g, "\\$1")}"` : s);
  const lines = [
    "[Unit]",
    "Description=claudemesh daemon (end-to-end encrypted mesh for AI coding agents)",
    "",
    "[Service]",
    `ExecStart=${quote(node)} ${quote(bin)} daemon up --foreground`,
    ...serviceEnv(env).map(([k, v]) => `Environment=${quote(`${k}=${v}`)}`),
    "Restart=on-failure",
    "RestartSec=5",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ];
  return lines.join("\n");
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function launchdPlist(node: string, bin: string, env: NodeJS.ProcessEnv): string {
  const vars = serviceEnv(env)
    .map(([k, v]) => `      <key>${xml(k)}</key><string>${xml(v)}</string>`)
    .join("\n");
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    "  <dict>",
    `    <key>Label</key><string>${LAUNCHD_LABEL}</string>`,
    "    <key>ProgramArguments</key>",
    "    <array>",
    ...[node, bin, "daemon", "up", "--foreground"].map((a) => `      <string>${xml(a)}</string>`),
    "    </array>",
    "    <key>EnvironmentVariables</key>",
    "    <dict>",
    vars,
    "    </dict>",
    "    <key>RunAtLoad</key><true/>",
    "    <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>",
    "  </dict>",
    "</plist>",
  ]
    .filter((line) => line !== "")
    .join("\n")
    .concat("\n");
}

/** Why there is no user service manager here, or null when there is one. */
function unavailable(platform: NodeJS.Platform): string | null {
  if (platform === "linux") {
    const probe = run("systemctl", ["--user", "show-environment"]);
    return probe.ok
      ? null
      : `no systemd user manager is running here (${probe.output.split("\n")[0] || "systemctl failed"})`;
  }
  if (platform === "darwin") return null;
  return `no supported user service manager on ${platform}`;
}

const MANUAL = "the CLI and Claude Code start the daemon on demand (or run `claudemesh daemon up`)";

function writeIfChanged(path: string, content: string): boolean {
  try {
    if (readFileSync(path, "utf8") === content) return false;
  } catch {
    // Not there yet: write it.
  }
  writeSecretFile(path, content);
  return true;
}

export function installService(
  node: string,
  bin: string,
  env: NodeJS.ProcessEnv,
  platform = process.platform,
): ServiceResult {
  const reason = unavailable(platform);
  if (reason !== null) return { state: "skipped", file: null, note: `${reason}; ${MANUAL}` };
  if (platform === "darwin") {
    const file = launchdPlistPath(env);
    const changed = writeIfChanged(file, launchdPlist(node, bin, env));
    if (changed) run("launchctl", ["unload", file]);
    const load = run("launchctl", ["load", "-w", file]);
    if (!load.ok && !/already loaded/i.test(load.output)) {
      return { state: "skipped", file, note: `launchctl load failed: ${load.output}; ${MANUAL}` };
    }
    return { state: changed ? "installed" : "unchanged", file, note: `launchd agent ${LAUNCHD_LABEL}` };
  }
  const file = systemdUnitPath(env);
  const changed = writeIfChanged(file, systemdUnit(node, bin, env));
  if (changed) run("systemctl", ["--user", "daemon-reload"]);
  const enable = run("systemctl", ["--user", "enable", "--now", SYSTEMD_UNIT]);
  if (!enable.ok)
    return { state: "skipped", file, note: `systemctl --user enable failed: ${enable.output}; ${MANUAL}` };
  return { state: changed ? "installed" : "unchanged", file, note: `systemd user unit ${SYSTEMD_UNIT}` };
}

export function uninstallService(env: NodeJS.ProcessEnv, platform = process.platform): ServiceResult {
  if (platform === "darwin") {
    const file = launchdPlistPath(env);
    if (!existsSync(file)) return { state: "absent", file: null, note: "no launchd agent" };
    run("launchctl", ["unload", "-w", file]);
    rmSync(file, { force: true });
    return { state: "removed", file, note: `launchd agent ${LAUNCHD_LABEL}` };
  }
  const file = systemdUnitPath(env);
  if (!existsSync(file)) return { state: "absent", file: null, note: "no systemd user unit" };
  run("systemctl", ["--user", "disable", "--now", SYSTEMD_UNIT]);
  rmSync(file, { force: true });
  run("systemctl", ["--user", "daemon-reload"]);
  return { state: "removed", file, note: `systemd user unit ${SYSTEMD_UNIT}` };
}
