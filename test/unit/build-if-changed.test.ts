/**
 * `npm start`'s build step (scripts/build-if-changed.mjs), run as npm runs it on a small project of its own:
 * it builds when there is no build or a source is newer than the last one, and only checks otherwise.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

const SCRIPT = join(ROOT, "scripts", "build-if-changed.mjs");
let project: string;

function runScript(): { code: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [SCRIPT, project], { encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout };
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "cm-build-"));
  mkdirSync(join(project, "src"));
  writeFileSync(join(project, "package.json"), '{ "type": "module" }\n');
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { module: "NodeNext", outDir: "dist", rootDir: ".", types: [] } }),
  );
  writeFileSync(
    join(project, "tsconfig.build.json"),
    JSON.stringify({ extends: "./tsconfig.json", include: ["src"] }),
  );
  writeFileSync(join(project, "src", "a.ts"), "export const a: number = 1;\n");
});

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

describe("build-if-changed", () => {
  it("builds the first time, only checks when nothing changed, and builds again after an edit", () => {
    const first = runScript();
    expect(first).toEqual({ code: 0, stdout: "building claudemesh…\n" });
    expect(existsSync(join(project, "dist", "src", "a.js"))).toBe(true);

    const second = runScript();
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^claudemesh is up to date[^\n]*\n$/);

    // An edit now: newer than the last build, which started before the first check.
    const now = new Date();
    utimesSync(join(project, "src", "a.ts"), now, now);
    expect(runScript().stdout).toBe("building claudemesh…\n");
    expect(runScript().stdout).toMatch(/^claudemesh is up to date/);
  });

  it("builds again after a web app edit, running the project's web build too", () => {
    mkdirSync(join(project, "scripts"), { recursive: true });
    mkdirSync(join(project, "web"), { recursive: true });
    writeFileSync(
      join(project, "scripts", "build-web.mjs"),
      'import { writeFileSync } from "node:fs";\nwriteFileSync(process.argv[2] + "/dist/web-built", "");\n',
    );
    expect(runScript().stdout).toBe("building claudemesh…\n");
    expect(existsSync(join(project, "dist", "web-built"))).toBe(true);
    expect(runScript().stdout).toMatch(/^claudemesh is up to date/);

    rmSync(join(project, "dist", "web-built"));
    const now = new Date();
    writeFileSync(join(project, "web", "page.html"), "<p>changed</p>\n");
    utimesSync(join(project, "web", "page.html"), now, now);
    expect(runScript().stdout).toBe("building claudemesh…\n");
    expect(existsSync(join(project, "dist", "web-built"))).toBe(true);
    rmSync(join(project, "scripts"), { recursive: true, force: true });
  });

  it("fails with tsc's status when the build fails", () => {
    writeFileSync(join(project, "src", "b.ts"), "export const b: number = 'not a number';\n");
    const result = runScript();
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/building claudemesh…[\s\S]*b\.ts/);
    rmSync(join(project, "src", "b.ts"));
  });
});
