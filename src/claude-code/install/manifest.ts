/**
 * What `install` found and created, kept (0600) in the claudemesh config dir so `uninstall` removes exactly
 * what install added: containers it created, an MCP entry it replaced, whether the permission was there,
 * the skill file it wrote.
 * A second install only adds to it; uninstall deletes it.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { configDir } from "../../host/paths.js";
import { writeSecretFile } from "../../host/secure-fs.js";

export const InstallManifest = z.object({
  version: z.literal(1),
  /** Dotted paths of containers install created in ~/.claude.json. */
  created_in_claude_json: z.array(z.string()),
  /** Dotted paths of containers install created in settings.json. */
  created_in_settings: z.array(z.string()),
  /** The `mcpServers.claudemesh` entry before the first install (null: there was none). */
  previous_mcp_entry: z.unknown(),
  /** Whether `Bash(claudemesh:*)` was allowed before the first install. */
  permission_preexisting: z.boolean(),
  /** Directories install created for the skill (removed again when empty). */
  created_dirs: z.array(z.string()),
  /** Files install created (removed again when left empty). */
  created_files: z.array(z.string()).default([]),
  /** SHA-256 (hex) of the skill file as install last wrote it: an unchanged file is ours to update or remove. */
  skill_sha256: z.string().nullable().default(null),
});
export type InstallManifest = z.infer<typeof InstallManifest>;

export function manifestPath(): string {
  return join(configDir(), "claude-install.json");
}

/** The manifest, or null when there is none (or it is unreadable: uninstall then removes only ours). */
export function readManifest(): InstallManifest | null {
  try {
    const parsed = InstallManifest.safeParse(JSON.parse(readFileSync(manifestPath(), "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    // Missing or damaged: uninstall falls back to removing entries it recognises as ours.
    return null;
  }
}

export function writeManifest(manifest: InstallManifest): void {
  writeSecretFile(manifestPath(), `${JSON.stringify(manifest, null, 2)}\n`);
}

export function removeManifest(): void {
  rmSync(manifestPath(), { force: true });
}
