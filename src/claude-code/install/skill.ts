/**
 * The skill file install copies to `~/.claude/skills/claudemesh/SKILL.md`. A file there is ours when it is
 * the one the package ships or the one install last wrote (its hash is in the manifest); only ours is
 * updated or removed. Anything else — the user's own skill, or ours edited since — stays unless `--force`.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { cliBinPath } from "../../daemon-api/lifecycle.js";
import { writeSecretFile } from "../../host/secure-fs.js";
import { ClaudeCodeError } from "../errors.js";
import type { InstallManifest } from "./manifest.js";

export interface FileChange {
  file: string;
  changed: boolean;
}

export interface SkillChange extends FileChange {
  /** Whether the file left there is the one the package ships. */
  installed: boolean;
  /** Whether a file that is not ours was left where it was. */
  kept: boolean;
  /** Why it was kept and what to do about it; null when nothing was kept. */
  note: string | null;
}

/** The skill file shipped in the package (`skills/claudemesh/SKILL.md`). */
export function packagedSkill(binPath = cliBinPath()): string {
  return join(dirname(dirname(binPath)), "skills", "claudemesh", "SKILL.md");
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function readIfThere(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

function isOurs(current: string, shipped: string, manifest: InstallManifest | null): boolean {
  return current === shipped || sha256(current) === manifest?.skill_sha256;
}

/** Directories from `dir` up that do not exist yet (the skill's parents), outermost first. */
export function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  return missing;
}

/**
 * Writes the shipped skill to `target` unless a file there is not ours (and `force` is off). Records the
 * directories it creates and the hash of what it wrote in `manifest`.
 */
export function installSkill(
  source: string,
  target: string,
  manifest: InstallManifest,
  force: boolean,
): SkillChange {
  const content = readFileSync(source, "utf8");
  const current = readIfThere(target);
  const unchanged = { file: target, changed: false, installed: true, kept: false, note: null };
  if (current === content) {
    manifest.skill_sha256 = sha256(content);
    return unchanged;
  }
  if (current !== null && !force && !isOurs(current, content, manifest)) {
    return {
      ...unchanged,
      installed: false,
      kept: true,
      note: `${target} is not the skill claudemesh installed (it was written or edited by someone else), so it was kept; \`claudemesh install --force\` replaces it (copy it first to keep your version)`,
    };
  }
  for (const dir of missingDirs(dirname(target))) {
    mkdirSync(dir, { mode: 0o700 });
    if (!manifest.created_dirs.includes(dir)) manifest.created_dirs.push(dir);
  }
  writeSecretFile(target, content);
  if (readFileSync(target, "utf8") !== content) {
    throw new ClaudeCodeError(
      "install_verify_failed",
      `the skill is not in ${target} after writing it`,
      "another program may have written the file at the same time; run `claudemesh install` again",
    );
  }
  manifest.skill_sha256 = sha256(content);
  return { ...unchanged, changed: true };
}

/** Removes the skill at `target` when it is ours and unchanged; keeps (and says so) anything else. */
export function removeSkill(
  source: string,
  target: string,
  manifest: InstallManifest | null,
): FileChange & Pick<SkillChange, "kept" | "note"> {
  const current = readIfThere(target);
  if (current === null) return { file: target, changed: false, kept: false, note: null };
  if (!isOurs(current, readFileSync(source, "utf8"), manifest)) {
    return {
      file: target,
      changed: false,
      kept: true,
      note: `${target} is not the skill claudemesh installed (it was written or edited by someone else), so it was left; delete it yourself if you no longer want it`,
    };
  }
  rmSync(target, { force: true });
  return { file: target, changed: true, kept: false, note: null };
}
