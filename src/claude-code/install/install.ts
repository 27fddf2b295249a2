/**
 * `install` / `uninstall` as operations on the files (the verbs only print): register the MCP server, add
 * the hooks and the permission, copy the skill, set up the service. Every file is read, changed in memory,
 * written only when different (0600, atomically) and read back to verify.
 */
import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { isDeepStrictEqual } from "node:util";
import {
  MCP_SERVER_NAME,
  claudeFiles,
  claudemeshCommand,
  installedHookVerbs,
  isObject,
  readJsonObject,
  type JsonObject,
} from "../files.js";
import { cliBinPath } from "../../daemon-api/lifecycle.js";
import { ClaudeCodeError } from "../errors.js";
import {
  addHooks,
  addMcpServer,
  addPermission,
  hasPermission,
  mcpEntry,
  removeHooks,
  removeMcpServer,
  removePermission,
  type Created,
} from "./entries.js";
import { clone, loadJsonFile, saveJsonFile, type JsonFile } from "./json-file.js";
import { readManifest, removeManifest, writeManifest, type InstallManifest } from "./manifest.js";
import {
  installSkill,
  missingDirs,
  packagedSkill,
  removeSkill,
  type FileChange,
  type SkillChange,
} from "./skill.js";
import { installService, uninstallService, type ServiceResult } from "../../host/user-service.js";

export interface InstallOptions {
  hooks: boolean;
  skill: boolean;
  /**
   * Replace a skill file claudemesh did not write (or one edited since).
   * @default false
   */
  forceSkill?: boolean;
  service: boolean;
  env: NodeJS.ProcessEnv;
  /** @default process.execPath */
  nodePath?: string;
  /** @default the package's bin/claudemesh.js */
  binPath?: string;
}

export type { FileChange, SkillChange };

export interface InstallReport {
  mcp: FileChange;
  settings: FileChange & { hooks: boolean; permission: boolean };
  skill: SkillChange | null;
  service: ServiceResult | null;
  command: string;
}

function verifyFailed(what: string, file: string): ClaudeCodeError {
  return new ClaudeCodeError(
    "install_verify_failed",
    `${what} is not in ${file} after writing it`,
    "another program may have rewritten the file at the same time (is Claude Code saving its config?); run `claudemesh install` again",
  );
}

export function install(options: InstallOptions): InstallReport {
  const env = options.env;
  const node = options.nodePath ?? process.execPath;
  const bin = options.binPath ?? cliBinPath();
  const cm = claudemeshCommand(node, bin);
  const entry = mcpEntry(node, bin);

  const claudeJson = loadJsonFile(claudeFiles.globalConfig(env));
  const settings = loadJsonFile(claudeFiles.settings(env));
  const previous = readManifest();
  const servers = claudeJson.before.mcpServers;
  const existing = isObject(servers) ? servers[MCP_SERVER_NAME] : undefined;
  const manifest: InstallManifest = previous ?? {
    version: 1,
    created_in_claude_json: [],
    created_in_settings: [],
    previous_mcp_entry: existing !== undefined && !isDeepStrictEqual(existing, entry) ? existing : null,
    permission_preexisting: hasPermission(settings.before),
    created_dirs: [],
    created_files: [],
    skill_sha256: null,
  };
  for (const file of [claudeJson, settings]) {
    if (!file.existed && !manifest.created_files.includes(file.path)) manifest.created_files.push(file.path);
  }

  const createdJson: Created = new Set(manifest.created_in_claude_json);
  const nextJson = clone(claudeJson.before);
  addMcpServer(nextJson, entry, createdJson);

  const createdSettings: Created = new Set(manifest.created_in_settings);
  const nextSettings = clone(settings.before);
  addPermission(nextSettings, createdSettings);
  if (options.hooks) addHooks(nextSettings, cm, createdSettings);
  else removeHooks(nextSettings, createdSettings);

  manifest.created_in_claude_json = [...createdJson];
  manifest.created_in_settings = [...createdSettings];
  for (const file of [claudeJson, settings]) {
    for (const dir of missingDirs(dirname(file.path))) {
      if (!manifest.created_dirs.includes(dir)) manifest.created_dirs.push(dir);
    }
  }
  // Recorded before anything is written, so an interrupted install can still be undone.
  writeManifest(manifest);

  const mcpChanged = saveJsonFile(claudeJson, nextJson);
  const settingsChanged = saveJsonFile(settings, nextSettings);

  const readBackJson = readJsonObject(claudeJson.path).doc;
  const readBackServers = readBackJson.mcpServers;
  if (!isObject(readBackServers) || !isDeepStrictEqual(readBackServers[MCP_SERVER_NAME], entry)) {
    throw verifyFailed(`mcpServers.${MCP_SERVER_NAME}`, claudeJson.path);
  }
  const readBackSettings = readJsonObject(settings.path).doc;
  if (!hasPermission(readBackSettings))
    throw verifyFailed("the Bash(claudemesh:*) permission", settings.path);
  const verbs = installedHookVerbs(readBackSettings);
  if (options.hooks && !(verbs.has("prompt") && verbs.has("idle") && verbs.has("wait"))) {
    throw verifyFailed("the claudemesh hooks", settings.path);
  }

  const skill = options.skill
    ? installSkill(packagedSkill(bin), claudeFiles.skill(env), manifest, options.forceSkill ?? false)
    : null;
  if (skill?.installed) writeManifest(manifest);
  const service = options.service ? installService(node, bin, env) : null;
  return {
    mcp: { file: claudeJson.path, changed: mcpChanged },
    settings: { file: settings.path, changed: settingsChanged, hooks: options.hooks, permission: true },
    skill,
    service,
    command: cm,
  };
}

export interface UninstallReport {
  mcp: FileChange;
  settings: FileChange;
  skill: FileChange & Pick<SkillChange, "kept" | "note">;
  service: ServiceResult | null;
}

/** Removes the directories install created, deepest first, where they are empty. */
function removeCreatedDirs(dirs: readonly string[]): void {
  for (const dir of [...dirs].sort((x, y) => y.length - x.length)) {
    try {
      if (readdirSync(dir).length === 0) rmdirSync(dir);
    } catch {
      // Already gone, or the user put something there: it stays.
    }
  }
}

export function uninstall(options: {
  env: NodeJS.ProcessEnv;
  service: boolean;
  /** @default the package's bin/claudemesh.js */
  binPath?: string;
}): UninstallReport {
  const env = options.env;
  const manifest = readManifest();
  const claudeJson = loadJsonFile(claudeFiles.globalConfig(env));
  const settings = loadJsonFile(claudeFiles.settings(env));

  const nextJson = clone(claudeJson.before);
  removeMcpServer(
    nextJson,
    manifest?.previous_mcp_entry,
    manifest ? new Set(manifest.created_in_claude_json) : null,
  );
  const createdSettings = manifest ? new Set(manifest.created_in_settings) : null;
  const nextSettings = clone(settings.before);
  removeHooks(nextSettings, createdSettings);
  if (!manifest?.permission_preexisting) removePermission(nextSettings, createdSettings);

  const created = new Set(manifest?.created_files ?? []);
  const save = (file: JsonFile, next: JsonObject): boolean => {
    if (!file.existed) return false;
    if (created.has(file.path) && Object.keys(next).length === 0) {
      rmSync(file.path, { force: true });
      return true;
    }
    return saveJsonFile(file, next);
  };
  const mcpChanged = save(claudeJson, nextJson);
  const settingsChanged = save(settings, nextSettings);
  if (existsSync(settings.path) && installedHookVerbs(readJsonObject(settings.path).doc).size > 0) {
    throw new ClaudeCodeError(
      "uninstall_verify_failed",
      `claudemesh hooks are still in ${settings.path} after removing them`,
      "another program may have rewritten the file at the same time; run `claudemesh uninstall` again",
    );
  }
  const skill = removeSkill(packagedSkill(options.binPath ?? cliBinPath()), claudeFiles.skill(env), manifest);
  removeCreatedDirs(manifest?.created_dirs ?? [dirname(claudeFiles.skill(env))]);
  const service = options.service ? uninstallService(env) : null;
  removeManifest();
  return {
    mcp: { file: claudeJson.path, changed: mcpChanged },
    settings: { file: settings.path, changed: settingsChanged },
    skill,
    service,
  };
}
