/**
 * `claudemesh install` / `uninstall` on a temp HOME whose `~/.claude.json` and `~/.claude/settings.json`
 * already hold other servers, hooks and settings: everything else preserved, the entries exactly as cli.md
 * gives them, install twice = no change, uninstall = the original files.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_BIN, CliUser, ROOT } from "../helpers/claude-code.js";

const ORIGINAL_CLAUDE_JSON = {
  numStartups: 12,
  hasCompletedOnboarding: true,
  mcpServers: {
    github: { type: "stdio", command: "/usr/bin/gh-mcp", args: ["serve"], env: { TOKEN: "x" } },
  },
  projects: { "/home/u/app": { allowedTools: [], mcpServers: {} } },
};

const ORIGINAL_SETTINGS = {
  model: "opus",
  permissions: { allow: ["Bash(git:*)", "Read(**)"], deny: ["Bash(rm:*)"] },
  hooks: {
    Stop: [{ hooks: [{ type: "command", command: "say done", timeout: 3 }] }],
    PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "/opt/audit/bin/audit" }] }],
  },
  env: { FOO: "bar" },
};

interface SkillReport {
  file: string;
  changed: boolean;
  installed?: boolean;
  kept: boolean;
  note: string | null;
}

let user: CliUser;
let claudeJson = "";
let settingsJson = "";
const cm = `${process.execPath} ${CLI_BIN}`;

function write(path: string, doc: unknown): string {
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text, { mode: 0o644 });
  return text;
}

function read(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

beforeEach(() => {
  user = new CliUser("install");
  claudeJson = join(user.home, ".claude.json");
  settingsJson = join(user.home, ".claude", "settings.json");
});

afterEach(async () => {
  await user.dispose();
});

describe("install", () => {
  it("adds the MCP server, permission, hooks and skill beside what was there; twice changes nothing; uninstall restores", async () => {
    const claudeBefore = write(claudeJson, ORIGINAL_CLAUDE_JSON);
    const settingsBefore = write(settingsJson, ORIGINAL_SETTINGS);

    const first = await user.runJson<{
      mcp: { changed: boolean };
      settings: { changed: boolean };
      service: unknown;
    }>(["install", "--no-service"]);
    expect(first.mcp.changed).toBe(true);
    expect(first.settings.changed).toBe(true);
    expect(first.service).toBeNull();

    const claude = read(claudeJson);
    expect(claude).toEqual({
      ...ORIGINAL_CLAUDE_JSON,
      mcpServers: {
        ...ORIGINAL_CLAUDE_JSON.mcpServers,
        claudemesh: { type: "stdio", command: process.execPath, args: [CLI_BIN, "mcp"] },
      },
    });
    const settings = read(settingsJson);
    expect(settings).toEqual({
      ...ORIGINAL_SETTINGS,
      permissions: {
        ...ORIGINAL_SETTINGS.permissions,
        allow: ["Bash(git:*)", "Read(**)", "Bash(claudemesh:*)"],
      },
      hooks: {
        Stop: [
          ...ORIGINAL_SETTINGS.hooks.Stop,
          { hooks: [{ type: "command", command: `${cm} hook idle`, timeout: 5 }] },
          { hooks: [{ type: "command", command: `${cm} hook wait`, asyncRewake: true, timeout: 86400 }] },
        ],
        PreToolUse: ORIGINAL_SETTINGS.hooks.PreToolUse,
        UserPromptSubmit: [{ hooks: [{ type: "command", command: `${cm} hook prompt`, timeout: 5 }] }],
        SessionStart: [
          { hooks: [{ type: "command", command: `${cm} hook wait`, asyncRewake: true, timeout: 86400 }] },
        ],
      },
    });
    for (const file of [claudeJson, settingsJson]) expect(statSync(file).mode & 0o777).toBe(0o600);
    const skill = join(user.home, ".claude", "skills", "claudemesh", "SKILL.md");
    expect(readFileSync(skill, "utf8")).toBe(
      readFileSync(join(ROOT, "skills", "claudemesh", "SKILL.md"), "utf8"),
    );

    const bytes = [readFileSync(claudeJson, "utf8"), readFileSync(settingsJson, "utf8")];
    const mtimes = [statSync(claudeJson).mtimeMs, statSync(settingsJson).mtimeMs, statSync(skill).mtimeMs];
    const second = await user.runJson<{
      mcp: { changed: boolean };
      settings: { changed: boolean };
      skill: { changed: boolean };
    }>(["install", "--no-service"]);
    expect([second.mcp.changed, second.settings.changed, second.skill.changed]).toEqual([
      false,
      false,
      false,
    ]);
    expect([readFileSync(claudeJson, "utf8"), readFileSync(settingsJson, "utf8")]).toEqual(bytes);
    expect([statSync(claudeJson).mtimeMs, statSync(settingsJson).mtimeMs, statSync(skill).mtimeMs]).toEqual(
      mtimes,
    );

    const removed = await user.run(["uninstall", "--no-service"]);
    expect(removed.code).toBe(0);
    expect(readFileSync(claudeJson, "utf8")).toBe(claudeBefore);
    expect(readFileSync(settingsJson, "utf8")).toBe(settingsBefore);
    expect(existsSync(skill)).toBe(false);
    expect(existsSync(join(user.home, ".claude", "skills"))).toBe(false);
  });

  it("keeps a skill file it did not write: install says so and --force replaces it; uninstall leaves it", async () => {
    const skill = join(user.home, ".claude", "skills", "claudemesh", "SKILL.md");
    const shipped = readFileSync(join(ROOT, "skills", "claudemesh", "SKILL.md"), "utf8");
    const own = "---\ndescription: my own mesh notes\n---\nUse the mesh my way.\n";
    mkdirSync(join(skill, ".."), { recursive: true });
    writeFileSync(skill, own);

    const kept = await user.runJson<{ skill: SkillReport }>(["install", "--no-service"]);
    expect(kept.skill).toEqual({
      file: skill,
      changed: false,
      installed: false,
      kept: true,
      note: expect.stringContaining("claudemesh install --force"),
    });
    expect(readFileSync(skill, "utf8")).toBe(own);
    const human = await user.run(["install", "--no-service"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/skill: .*SKILL\.md is not the skill claudemesh installed.*kept.*--force/);

    const left = await user.run(["uninstall", "--no-service"]);
    expect(left.code).toBe(0);
    expect(left.stdout).toMatch(/skill: .*SKILL\.md is not the skill claudemesh installed.*left/);
    expect(readFileSync(skill, "utf8")).toBe(own);

    const forced = await user.runJson<{ skill: SkillReport }>(["install", "--no-service", "--force"]);
    expect(forced.skill).toMatchObject({ changed: true, installed: true, kept: false, note: null });
    expect(readFileSync(skill, "utf8")).toBe(shipped);
    const removed = await user.runJson<{ skill: SkillReport }>(["uninstall", "--no-service"]);
    expect(removed.skill).toMatchObject({ changed: true, kept: false });
    expect(existsSync(skill)).toBe(false);
  });

  it("updates the skill file it wrote, but keeps it once the user edited it", async () => {
    const skill = join(user.home, ".claude", "skills", "claudemesh", "SKILL.md");
    expect((await user.runJson<{ skill: SkillReport }>(["install", "--no-service"])).skill).toMatchObject({
      changed: true,
      kept: false,
    });
    // What an older claudemesh wrote is still ours: the manifest remembers it.
    const older = `${readFileSync(skill, "utf8")}\nFrom an older release.\n`;
    writeFileSync(skill, older);
    const manifest = join(user.configDir, "claude-install.json");
    const recorded = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, unknown>;
    writeFileSync(
      manifest,
      JSON.stringify({ ...recorded, skill_sha256: createHash("sha256").update(older).digest("hex") }),
    );
    expect((await user.runJson<{ skill: SkillReport }>(["install", "--no-service"])).skill).toMatchObject({
      changed: true,
      kept: false,
    });
    expect(readFileSync(skill, "utf8")).not.toBe(older);

    const edited = `${readFileSync(skill, "utf8")}\nMy own addition.\n`;
    writeFileSync(skill, edited);
    expect((await user.runJson<{ skill: SkillReport }>(["install", "--no-service"])).skill).toMatchObject({
      changed: false,
      kept: true,
    });
    expect((await user.runJson<{ skill: SkillReport }>(["uninstall", "--no-service"])).skill).toMatchObject({
      changed: false,
      kept: true,
      note: expect.stringContaining("left"),
    });
    expect(readFileSync(skill, "utf8")).toBe(edited);
  });

  it("works on a HOME without any Claude Code files, and uninstall leaves no trace of them", async () => {
    const result = await user.run(["install", "--no-service"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/MCP server/);
    expect(read(claudeJson).mcpServers).toEqual({
      claudemesh: { type: "stdio", command: process.execPath, args: [CLI_BIN, "mcp"] },
    });
    expect((await user.run(["uninstall", "--no-service"])).code).toBe(0);
    expect(existsSync(claudeJson)).toBe(false);
    expect(existsSync(settingsJson)).toBe(false);
    expect(existsSync(join(user.home, ".claude"))).toBe(false);
  });

  it("keeps a permission the user had, and puts back an MCP entry it replaced", async () => {
    const own = { type: "stdio", command: "/old/node", args: ["/old/claudemesh.js", "mcp"] };
    write(claudeJson, { mcpServers: { claudemesh: own } });
    const settingsBefore = write(settingsJson, { permissions: { allow: ["Bash(claudemesh:*)"] } });
    expect((await user.run(["install", "--no-service", "--no-hooks", "--no-skill"])).code).toBe(0);
    const installed = read(settingsJson);
    expect(installed).toEqual({ permissions: { allow: ["Bash(claudemesh:*)"] } });
    expect(existsSync(join(user.home, ".claude", "skills"))).toBe(false);
    expect((await user.run(["uninstall", "--no-service"])).code).toBe(0);
    expect(read(claudeJson)).toEqual({ mcpServers: { claudemesh: own } });
    expect(readFileSync(settingsJson, "utf8")).toBe(settingsBefore);
  });

  it("replaces hook entries left by an install from another path", async () => {
    write(settingsJson, {
      hooks: {
        Stop: [
          { hooks: [{ type: "command", command: "/old/node /old/bin/claudemesh.js hook idle", timeout: 5 }] },
        ],
      },
    });
    expect((await user.run(["install", "--no-service"])).code).toBe(0);
    const stop = (read(settingsJson).hooks as { Stop: Array<{ hooks: Array<{ command: string }> }> }).Stop;
    expect(stop.map((g) => g.hooks[0]?.command)).toEqual([`${cm} hook idle`, `${cm} hook wait`]);
  });

  it("refuses a ~/.claude.json that is not JSON, and leaves it untouched", async () => {
    mkdirSync(user.home, { recursive: true });
    writeFileSync(claudeJson, "{ not json");
    const result = await user.run(["install", "--no-service"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\.claude\.json is not valid JSON/);
    expect(readFileSync(claudeJson, "utf8")).toBe("{ not json");
  });

  it("skips the user service with a note where there is no service manager", async () => {
    const report = await user.runJson<{ service: { state: string; note: string } }>(
      ["install", "--no-hooks", "--no-skill"],
      {
        env: { PATH: "/nonexistent" },
      },
    );
    expect(report.service.state).toBe("skipped");
    expect(report.service.note).toMatch(/daemon up|on demand/);
  });

  it("says when `claudemesh` is not on PATH (the skill's commands would fail), in install and doctor", async () => {
    const empty = join(user.root, "empty-bin");
    mkdirSync(empty);
    const missing = await user.run(["install", "--no-service"], { env: { PATH: empty } });
    expect(missing.code).toBe(0);
    expect(missing.stdout).toMatch(/`claudemesh` is not on PATH/);
    expect(missing.stdout).toContain(`cd ${ROOT} && npm link`);
    const doctor = await user.run(["doctor", "--json"], { env: { PATH: empty } });
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; level: string }> }).checks;
    expect(checks.find((c) => c.name === "claudemesh on PATH")?.level).toBe("warn");

    const bin = join(user.root, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "claudemesh"), "#!/bin/sh\n", { mode: 0o755 });
    const found = await user.runJson<{ cli_on_path: string | null }>(["install", "--no-service"], {
      env: { PATH: `${empty}:${bin}` },
    });
    expect(found.cli_on_path).toBe(join(bin, "claudemesh"));
    const quiet = await user.run(["install", "--no-service"], { env: { PATH: bin } });
    expect(quiet.stdout).not.toMatch(/not on PATH/);
  });
});
