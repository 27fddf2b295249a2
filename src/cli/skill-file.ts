/**
 * A SKILL.md as Claude Code writes it: optional YAML front matter between `---` lines, then the
 * instructions. The front matter's `description` becomes the skill's description and its other simple
 * `key: value` lines the manifest (`when_to_use`, `allowed-tools`, `model`, …); the rest is instructions.
 */
export interface SkillFile {
  description: string | null;
  manifest: Record<string, string> | null;
  instructions: string;
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0] ? v.slice(1, -1) : v;
}

export function parseSkillFile(text: string): SkillFile {
  const match = FRONT_MATTER.exec(text);
  if (match === null) return { description: null, manifest: null, instructions: text.trim() };
  let description: string | null = null;
  const manifest: Record<string, string> = {};
  for (const line of (match[1] ?? "").split(/\r?\n/)) {
    const kv = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (kv === null) continue;
    const [, key = "", value = ""] = kv;
    if (key === "description") description = unquote(value);
    else if (key !== "name" && value.trim() !== "") manifest[key] = unquote(value);
  }
  return {
    description,
    manifest: Object.keys(manifest).length > 0 ? manifest : null,
    instructions: text.slice(match[0].length).trim(),
  };
}
