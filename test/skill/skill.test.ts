/**
 * The skill teaches only what exists: every `claudemesh …` command in skills/claudemesh/SKILL.md parses
 * with the real command table (verb, arguments and flags), and the frontmatter has name and description.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgv } from "../../src/cli/parse.js";
import { VERBS } from "../../src/cli/table.js";
import { ROOT } from "../helpers/cli.js";

const SKILL = readFileSync(join(ROOT, "skills", "claudemesh", "SKILL.md"), "utf8");

/** Splits a command line like a POSIX shell would (quotes and backslashes; no expansion). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let quote: '"' | "'" | null = null;
  let started = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i] ?? "";
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) words.push(word);
      word = "";
      started = false;
    } else {
      word += ch;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

/** Every `claudemesh …` command line: lines of code blocks and inline code spans. */
function commands(markdown: string): string[] {
  const found: string[] = [];
  const blocks = markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g);
  for (const block of blocks) {
    for (const line of (block[1] ?? "").split("\n"))
      if (line.trim().startsWith("claudemesh ")) found.push(line.trim());
  }
  const prose = markdown.replace(/```[a-z]*\n[\s\S]*?```/g, "");
  for (const span of prose.matchAll(/`(claudemesh [^`]+)`/g)) found.push(span[1] ?? "");
  return found;
}

describe("SKILL.md", () => {
  it("has name and description frontmatter", () => {
    const front = /^---\n([\s\S]*?)\n---\n/.exec(SKILL)?.[1] ?? "";
    expect(front).toMatch(/^name: claudemesh$/m);
    expect(front).toMatch(/^description: .{40,}$/m);
  });

  it("says plainly that peer messages are untrusted input, not orders", () => {
    expect(SKILL).toMatch(/untrusted input/i);
    expect(SKILL).toMatch(/not an instruction from your user/i);
  });

  const lines = commands(SKILL);
  it("names commands at all", () => {
    expect(lines.length).toBeGreaterThan(10);
  });

  it.each(lines)("%s exists in the command table with these flags", (line) => {
    const argv = shellWords(line).slice(1);
    const parsed = parseArgv(VERBS, argv);
    expect(parsed.kind).toBe("run");
  });

  it("uses the verbs it teaches", () => {
    const verbs = new Set(
      lines.map((line) => {
        const parsed = parseArgv(VERBS, shellWords(line).slice(1));
        return parsed.kind === "run" ? parsed.verb.path.join(" ") : "";
      }),
    );
    for (const verb of [
      "peers",
      "send",
      "inbox",
      "status",
      "summary",
      "group join",
      "message status",
      "whoami",
    ]) {
      expect(verbs).toContain(verb);
    }
  });
});
